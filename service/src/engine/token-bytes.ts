// The raw bytes of one token, for OpenAI logprobs (`bytes`). Byte-level BPE vocabularies (GPT-2,
// Llama 3, Qwen) spell bytes as printable characters; SentencePiece byte fallback spells them as
// <0xNN>; other vocabularies are plain text.

/** GPT-2's bytes_to_unicode: the character that spells byte b; printable Latin-1 bytes spell themselves, the rest 256+n. */
export function byteLevelAlphabet(): string[] {
  const chars: string[] = [];
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
    chars.push(String.fromCharCode(printable ? b : 256 + extra++));
  }
  return chars;
}

function byteLevelTable(): Map<string, number> {
  return new Map(byteLevelAlphabet().map((ch, b) => [ch, b]));
}

const encoder = new TextEncoder();

export function makeTokenBytes(
  tokenizerJson: Record<string, unknown>,
  idToToken: (id: number) => string | undefined,
  decodeOne: (id: number) => string,
): (id: number) => number[] {
  const byteLevel = JSON.stringify(tokenizerJson.decoder ?? {}).includes('"ByteLevel"');
  const table = byteLevel ? byteLevelTable() : undefined;
  return (id) => {
    const piece = idToToken(id);
    if (piece !== undefined && table) {
      const bytes: number[] = [];
      for (const ch of piece) {
        const b = table.get(ch);
        if (b === undefined) return [...encoder.encode(decodeOne(id))];
        bytes.push(b);
      }
      return bytes;
    }
    const fallback = piece ? /^<0x([0-9A-Fa-f]{2})>$/.exec(piece) : null;
    if (fallback?.[1]) return [Number.parseInt(fallback[1], 16)];
    return [...encoder.encode(decodeOne(id))];
  };
}
