// Incremental detokenization that never emits half a character. Decoding a token alone loses
// context (SentencePiece's leading space, byte-level BPE's multi-token characters), so the text
// is decoded over a short window of ids and only the stable, complete suffix is emitted — the
// prefix/read-offset scheme of TGI and vLLM. A trailing U+FFFD means the last token ended inside a
// UTF-8 sequence: wait for the next token.

export type TextDecoderFn = (ids: number[]) => string;

const replacement = "\uFFFD";

export class IncrementalDetokenizer {
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
