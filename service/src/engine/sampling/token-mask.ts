// A grammar's allowed-token bitmask applied to logits: every token it does not allow becomes −Infinity,
// so no later processor (logit_bias, penalties, temperature) can bring it back, truncation never keeps
// it (its probability is exactly 0) and greedy never picks it. Tokens past the mask are disallowed.

/** bit (id & 31) of word (id >> 5) set = id allowed; in place. */
export function applyTokenMask(logits: Float32Array, mask: Int32Array): void {
  const vocab = logits.length;
  for (let word = 0; word < mask.length && word << 5 < vocab; word++) {
    const bits = mask[word] as number;
    if (bits === -1) continue; // all 32 allowed: the common case inside free text
    const base = word << 5;
    const end = Math.min(32, vocab - base);
    for (let bit = 0; bit < end; bit++) {
      if (((bits >>> bit) & 1) === 0) logits[base + bit] = Number.NEGATIVE_INFINITY;
    }
  }
  logits.fill(Number.NEGATIVE_INFINITY, Math.min(vocab, mask.length << 5));
}

/** Whether the mask allows `id`. */
export function maskAllows(mask: Int32Array, id: number): boolean {
  return (((mask[id >> 5] ?? 0) >>> (id & 31)) & 1) === 1;
}
