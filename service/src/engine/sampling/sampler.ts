// Picks the next token from processed logits: greedy at temperature 0, otherwise softmax →
// min-p → top-k → top-p → one multinomial draw from the seeded PRNG. Probabilities are summed in
// float64 in a fixed order so the draw is identical on every runtime given identical logits.
import type { Xoshiro128 } from "./prng.js";

export interface TruncationParams {
  topK?: number;
  topP?: number;
  minP?: number;
}

/** Unnormalised probabilities exp(l − max) in float64; the largest is exactly 1. */
function softmaxUnnormalised(logits: Float32Array): { probs: Float64Array; total: number } {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i] as number);
  const probs = new Float64Array(logits.length);
  let total = 0;
  for (let i = 0; i < logits.length; i++) {
    const p = Math.exp((logits[i] as number) - max);
    probs[i] = p;
    total += p;
  }
  return { probs, total };
}

function drawFrom(probs: Float64Array, total: number, rng: Xoshiro128): number {
  let target = rng.nextFloat() * total;
  let last = 0;
  for (let i = 0; i < probs.length; i++) {
    const p = probs[i] as number;
    if (p === 0) continue;
    last = i;
    target -= p;
    if (target < 0) return i;
  }
  return last; // rounding left a sliver of mass: the last live token takes it
}

// Relative thresholds tried in turn so only plausible tokens get sorted (vocabularies are large,
// nuclei small); each step is exact because every token above a threshold is kept.
const thresholds = [1e-2, 1e-4, 1e-6, 1e-9, 0];

function candidates(probs: Float64Array, total: number, params: TruncationParams): number[] {
  const floor = params.minP !== undefined && params.minP > 0 ? params.minP : 0;
  const needK = params.topK !== undefined && params.topK > 0 ? params.topK : 0;
  const needP = params.topP !== undefined && params.topP < 1 ? params.topP * total : 0;
  let picked: number[] = [];
  for (const relative of needK === 0 && needP === 0 ? [floor] : thresholds) {
    const t = Math.max(relative, floor);
    picked = [];
    let mass = 0;
    for (let i = 0; i < probs.length; i++) {
      const p = probs[i] as number;
      if (p >= t && p > 0) {
        picked.push(i);
        mass += p;
      }
    }
    const enoughK = needK === 0 || picked.length >= needK;
    const enoughP = needK > 0 || mass >= needP;
    if ((enoughK && enoughP) || t === floor) break;
  }
  picked.sort((x, y) => (probs[y] as number) - (probs[x] as number) || x - y);
  return picked;
}

/** Samples with truncation; `logits` already carries bias, penalties and temperature. */
export function sampleToken(logits: Float32Array, params: TruncationParams, rng: Xoshiro128): number {
  const { probs, total } = softmaxUnnormalised(logits);
  const truncating =
    (params.topK !== undefined && params.topK > 0 && params.topK < logits.length) ||
    (params.topP !== undefined && params.topP < 1) ||
    (params.minP !== undefined && params.minP > 0);
  if (!truncating) return drawFrom(probs, total, rng);
  let kept = candidates(probs, total, params);
  if (params.topK !== undefined && params.topK > 0) kept = kept.slice(0, params.topK);
  if (params.topP !== undefined && params.topP < 1) {
    let keptMass = 0;
    for (const id of kept) keptMass += probs[id] as number;
    const limit = params.topP * keptMass;
    let cumulative = 0;
    let end = 0;
    while (end < kept.length && cumulative < limit) cumulative += probs[kept[end++] as number] as number;
    kept = kept.slice(0, Math.max(1, end));
  }
  let keptTotal = 0;
  for (const id of kept) keptTotal += probs[id] as number;
  let target = rng.nextFloat() * keptTotal;
  for (const id of kept) {
    target -= probs[id] as number;
    if (target < 0) return id;
  }
  return kept[kept.length - 1] as number;
}
