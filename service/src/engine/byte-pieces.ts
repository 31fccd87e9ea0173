// What each token id adds to the decoded text of a byte-level BPE tokenizer (GPT-2, Llama 3, Qwen,
// petrel-mini), decoded as ModelTokenizer.decode does, so a streaming detokenizer can decode one id at a
// time instead of re-decoding a window of ids per token. It mirrors @huggingface/tokenizers' decode:
// ids → vocabulary strings (an unknown id → the model's unk_token), special tokens' strings dropped,
// runs of byte-level strings → bytes → UTF-8, and added tokens' contents verbatim between those runs.
import { byteLevelAlphabet } from "./token-bytes.js";

/** The bytes a token spells, an added token's verbatim text, or null: a special token adds nothing. */
export type Piece = Uint8Array | string | null;

type Json = Record<string, unknown>;

interface AddedToken {
  content?: unknown;
  special?: unknown;
}

/** Pieces for a byte-level BPE tokenizer.json (with its tokenizer_config.json); undefined for any other. */
export function bytePieces(
  tokenizerJson: Json,
  config: Json,
  idToToken: (id: number) => string | undefined,
): ((id: number) => Piece) | undefined {
  const decoder = tokenizerJson.decoder as Json | null | undefined;
  const model = tokenizerJson.model as Json | undefined;
  // other decoders (Metaspace, sequences with Strip/Replace, WordPiece) and end-of-word suffixes
  // rewrite text after the bytes: those keep the window detokenizer
  if (decoder?.type !== "ByteLevel" || model?.type !== "BPE" || model.end_of_word_suffix) return undefined;
  const added = (tokenizerJson.added_tokens ?? []) as AddedToken[];
  const contents = new Set(added.map((t) => t.content).filter((c) => typeof c === "string"));
  const special = new Set(added.filter((t) => t.special === true).map((t) => t.content));
  for (const extra of (config.additional_special_tokens ?? []) as unknown[]) special.add(extra);
  const unk = typeof model.unk_token === "string" ? model.unk_token : undefined;
  const byteOf = new Map(byteLevelAlphabet().map((ch, b) => [ch, b]));
  const cache = new Map<number, Piece>();
  const pieceOf = (id: number): Piece => {
    const token = idToToken(id) ?? unk;
    if (token === undefined) return new Uint8Array(0);
    if (special.has(token)) return null;
    if (contents.has(token)) return token;
    // a character outside the byte alphabet decodes as byte 0, as the library's Uint8Array does
    return Uint8Array.from(token, (ch) => byteOf.get(ch) ?? 0);
  };
  return (id) => {
    let piece = cache.get(id);
    if (piece === undefined) {
      piece = pieceOf(id);
      cache.set(id, piece);
    }
    return piece;
  };
}
