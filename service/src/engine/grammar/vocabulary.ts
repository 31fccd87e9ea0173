// A tokenizer.json (HF tokenizers format) read as a grammar runtime needs it: every id's string in
// the vocabulary's own spelling, how that spelling maps to bytes, and which ids end a generation.
// The detection follows the decoder, as XGrammar's own Hugging Face loader does: a ByteLevel decoder
// means GPT-2 byte spelling, a ByteFallback one SentencePiece pieces with <0xNN> bytes.
import { byteLevelAlphabet } from "../token-bytes.js";
import type { GrammarVocabulary } from "./types.js";

type Json = Record<string, unknown>;

interface AddedToken {
  id: number;
  content: string;
  special?: boolean;
}

function encodingOf(tokenizer: Json): GrammarVocabulary["encoding"] {
  const decoder = JSON.stringify(tokenizer.decoder ?? {});
  if (decoder.includes('"ByteLevel"')) return "byte_level";
  if (decoder.includes('"ByteFallback"')) return "byte_fallback";
  return "raw";
}

/** SentencePiece-style tokenizers put ▁ before the text (a Prepend normalizer or a Metaspace pre-tokenizer). */
function prependsSpace(tokenizer: Json): boolean {
  const normalizer = JSON.stringify(tokenizer.normalizer ?? {});
  const pre = JSON.stringify(tokenizer.pre_tokenizer ?? {});
  return (
    /"type":"Prepend","prepend":"▁"/.test(normalizer) ||
    (pre.includes('"Metaspace"') && !pre.includes('"prepend_scheme":"never"'))
  );
}

/** Text of an added (non-special) token in the vocabulary's spelling: byte-level spells bytes as characters. */
function spell(text: string, alphabet: string[] | undefined): string {
  if (!alphabet) return text;
  return Array.from(new TextEncoder().encode(text), (b) => alphabet[b] as string).join("");
}

/**
 * `vocabSize`: the logits' width (config.json's vocab_size), which may exceed the tokenizer's ids;
 * the ids beyond are unused and never allowed. `stopIds`: the engine's end-of-turn ids.
 */
export function grammarVocabulary(tokenizer: Json, vocabSize: number, stopIds: number[]): GrammarVocabulary {
  const model = (tokenizer.model ?? {}) as Json;
  const vocab = (model.vocab ?? {}) as Record<string, number> | [string, number][];
  const added = (tokenizer.added_tokens ?? []) as AddedToken[];
  const entries: [string, number][] = Array.isArray(vocab)
    ? vocab.map(([piece], id) => [piece, id]) // Unigram: [piece, score] by id
    : Object.entries(vocab);
  const size = Math.max(vocabSize, ...entries.map(([, id]) => id + 1), ...added.map((t) => t.id + 1));
  const tokens = new Array<string>(size).fill("");
  for (const [piece, id] of entries) tokens[id] = piece;
  const encoding = encodingOf(tokenizer);
  const alphabet = encoding === "byte_level" ? byteLevelAlphabet() : undefined;
  // Special tokens are markup, not text: "" makes the runtime treat them as never part of the output.
  for (const token of added) tokens[token.id] = token.special ? "" : spell(token.content, alphabet);
  return {
    tokens,
    encoding,
    prependSpace: encoding === "byte_fallback" && prependsSpace(tokenizer),
    stopIds,
  };
}
