// Logits processors, each a small function over the last position's logits (Float32Array, in
// place), applied in the order vLLM uses: bias → repetition penalty → presence/frequency penalties
// → temperature. Truncation (top-k, top-p, min-p) happens on probabilities in sampler.ts.

/** token id → bias added to its logit, as OpenAI's logit_bias (−100 bans, +100 forces). */
export function applyLogitBias(logits: Float32Array, bias: Record<number, number> | undefined): void {
  if (!bias) return;
  for (const [key, value] of Object.entries(bias)) {
    const id = Number(key);
    if (id >= 0 && id < logits.length) logits[id] = (logits[id] as number) + value;
  }
}

/**
 * CTRL-style repetition penalty (HF/vLLM): a seen token's positive logit is divided by the
 * penalty, a negative one multiplied. `seen` covers prompt and completion, as in vLLM.
 */
export function applyRepetitionPenalty(
  logits: Float32Array,
  seen: ReadonlySet<number>,
  penalty: number | undefined,
): void {
  if (penalty === undefined || penalty === 1) return;
  for (const id of seen) {
    const value = logits[id];
    if (value === undefined) continue;
    logits[id] = value > 0 ? value / penalty : value * penalty;
  }
}

/**
 * OpenAI presence/frequency penalties over the completion so far:
 * logit −= presence·[count>0] + frequency·count.
 */
export function applyPresenceFrequency(
  logits: Float32Array,
  counts: ReadonlyMap<number, number>,
  presence: number | undefined,
  frequency: number | undefined,
): void {
  const p = presence ?? 0;
  const f = frequency ?? 0;
  if (p === 0 && f === 0) return;
  for (const [id, count] of counts) {
    const value = logits[id];
    if (value === undefined) continue;
    logits[id] = value - p - f * count;
  }
}

export function applyTemperature(logits: Float32Array, temperature: number): void {
  if (temperature === 1) return;
  const inverse = 1 / temperature;
  for (let i = 0; i < logits.length; i++) logits[i] = (logits[i] as number) * inverse;
}

/** Index of the largest logit; ties go to the lowest index, as torch.argmax. */
export function argmax(logits: Float32Array): number {
  let best = 0;
  let bestValue = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < logits.length; i++) {
    const value = logits[i] as number;
    if (value > bestValue) {
      bestValue = value;
      best = i;
    }
  }
  return best;
}
