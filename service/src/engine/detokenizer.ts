// Incremental detokenization that never emits half a character. Decoding a token alone loses
// context (SentencePiece's leading space, byte-level BPE's multi-token characters), so the text
// is decoded over a short window of ids and only the stable, complete suffix is emitted — the
// prefix/read-offset scheme of TGI and vLLM. A trailing U+FFFD means the last token ended inside a
// UTF-8 sequence: wait for the next token.

import type { Piece } from "./byte-pieces.js";

export type TextDecoderFn = (ids: number[]) => string;

/** Turns a choice's tokens into text as they come: push one id, flush at the end. */
export interface Detokenizer {
  /** Adds one token; returns the newly completed text (possibly empty). */
  push(id: number): string;
  /** At the end of generation: whatever is still pending, replacement characters included. */
  flush(): string;
}

const replacement = "\uFFFD";

export class IncrementalDetokenizer implements Detokenizer {
  private readonly ids: number[] = [];
  private prefixOffset = 0;
  private readOffset = 0;

  constructor(private readonly decode: TextDecoderFn) {}

  /** Adds one token; returns the newly completed text (possibly empty). */
  push(id: number): string {
    this.ids.push(id);
    const prefixText = this.decode(this.ids.slice(this.prefixOffset, this.readOffset));
    const fullText = this.decode(this.ids.slice(this.prefixOffset));
    if (fullText.length > prefixText.length && !fullText.endsWith(replacement)) {
      const delta = fullText.slice(prefixText.length);
      this.prefixOffset = this.readOffset;
      this.readOffset = this.ids.length;
      return delta;
    }
    return "";
  }

  /** At the end of generation: whatever is still pending, replacement characters included. */
  flush(): string {
    const prefixText = this.decode(this.ids.slice(this.prefixOffset, this.readOffset));
    const fullText = this.decode(this.ids.slice(this.prefixOffset));
    this.prefixOffset = this.readOffset = this.ids.length;
    return fullText.length > prefixText.length ? fullText.slice(prefixText.length) : "";
  }
}

/**
 * Byte-level BPE without re-decoding: each token's bytes (byte-pieces.ts) go through one streaming
 * UTF-8 decoder, which holds an incomplete character until its last byte comes, so a token costs its
 * own bytes rather than two decodes of a window. The text is the same as decoding all ids at once
 * (WHATWG streaming decode equals one-shot decode); an added token ends the byte run before its own
 * text, as it does in the tokenizer's decode.
 */
export class ByteStreamDetokenizer implements Detokenizer {
  // ignoreBOM: a leading U+FEFF is text the model made, and the tokenizer's decode keeps it too
  private readonly utf8 = new TextDecoder("utf-8", { ignoreBOM: true });

  constructor(private readonly piece: (id: number) => Piece) {}

  push(id: number): string {
    const piece = this.piece(id);
    if (piece === null) return "";
    if (typeof piece === "string") return this.utf8.decode() + piece;
    return this.utf8.decode(piece, { stream: true });
  }

  flush(): string {
    return this.utf8.decode();
  }
}
