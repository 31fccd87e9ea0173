// Picks the next token from processed logits: greedy at temperature 0, otherwise softmax →
// min-p → top-k → top-p → one multinomial draw from the seeded PRNG. Probabilities are summed in
// float64 in a fixed order so the draw is identical on every runtime given identical logits.
import type { Xoshiro128 } from "./prng.js";
import { kthLargest } from "./select.js";

export interface TruncationParams {
  topK?: number;
  topP?: number;
  minP?: number;
}

/** Reused across draws (sampling is synchronous and keeps no reference): no 32 KB allocation per token. */
let scratch = new Float64Array(0);

/**
 * Unnormalised probabilities exp(l − max) in float64 (the largest is exactly 1), their total and the
 * max logit; with `mass`, each probability is also added to its distance bucket (see bucketOf).
 */
function softmaxUnnormalised(
  logits: Float32Array,
  mass?: Float64Array,
): { probs: Float64Array; total: number; max: number } {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i] as number);
  if (scratch.length < logits.length) scratch = new Float64Array(logits.length);
  const probs = scratch.length === logits.length ? scratch : scratch.subarray(0, logits.length);
  let total = 0;
  for (let i = 0; i < logits.length; i++) {
    const l = logits[i] as number;
    const p = Math.exp(l - max);
    probs[i] = p;
    total += p;
    if (mass) {
      const b = bucketOf(l, max);
      mass[b] = (mass[b] as number) + p;
    }
  }
  return { probs, total, max };
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

// Only plausible tokens get sorted: top-k keeps logits ≥ the k-th largest (quickselect); top-p buckets
// tokens by distance below the top logit (quarter-nat buckets, the last one open) and keeps the
// buckets that first reach the nucleus mass. Both exact, O(V) plus a small sort.
const bucketsPerNat = 4;
const bucketCount = 64;

function bucketOf(logit: number, max: number): number {
  return Math.min(bucketCount - 1, Math.floor((max - logit) * bucketsPerNat));
}

function candidates(
  logits: Float32Array,
  probs: Float64Array,
  total: number,
  max: number,
  params: TruncationParams,
  mass: Float64Array | undefined,
): number[] {
  const minLogit =
    params.minP !== undefined && params.minP > 0 ? max + Math.log(params.minP) : Number.NEGATIVE_INFINITY;
  const needK = params.topK !== undefined && params.topK > 0 ? params.topK : 0;
  const needP = params.topP !== undefined && params.topP < 1 ? params.topP * total : 0;
  // top-k: exact via the k-th largest logit; the buckets then only serve top-p
  const kth = needK > 0 && needK < logits.length ? kthLargest(logits, needK) : Number.NEGATIVE_INFINITY;
  let last = bucketCount - 1; // top-k or min_p alone: every bucket
  if (mass) {
    // the nucleus lies within the buckets that first reach its mass
    last = 0;
    let cumMass = mass[0] as number;
    while (last < bucketCount - 1 && cumMass < needP) {
      last++;
      cumMass += mass[last] as number;
    }
  }
  // bucketOf(l, max) ≤ last, without the floor: floor(x) ≤ k exactly when x < k + 1
  const open = last === bucketCount - 1;
  const picked: number[] = [];
  for (let i = 0; i < logits.length; i++) {
    const l = logits[i] as number;
    if (
      l >= minLogit &&
      l >= kth &&
      (probs[i] as number) > 0 &&
      (open || (max - l) * bucketsPerNat < last + 1)
    )
      picked.push(i);
  }
  picked.sort((x, y) => (probs[y] as number) - (probs[x] as number) || x - y);
  return picked;
}

/** Samples with truncation; `logits` already carries bias, penalties and temperature. */
export function sampleToken(logits: Float32Array, params: TruncationParams, rng: Xoshiro128): number {
  const topK = params.topK !== undefined && params.topK > 0;
  const topP = params.topP !== undefined && params.topP < 1;
  // top-p alone buckets the mass by distance below the max while the probabilities are computed
  const mass = topP && !topK ? new Float64Array(bucketCount) : undefined;
  const { probs, total, max } = softmaxUnnormalised(logits, mass);
  const truncating =
    (topK && (params.topK as number) < logits.length) ||
    topP ||
    (params.minP !== undefined && params.minP > 0);
  if (!truncating) return drawFrom(probs, total, rng);
  let kept = candidates(logits, probs, total, max, params, mass);
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
  // Draw in vocabulary order, not rank order: runtimes differ in the last bits of the logits, which
  // may swap two near-equal ranks and would shift the draw; the kept set is far less sensitive.
  kept.sort((x, y) => x - y);
  let keptTotal = 0;
  for (const id of kept) keptTotal += probs[id] as number;
  let target = rng.nextFloat() * keptTotal;
  for (const id of kept) {
    target -= probs[id] as number;
    if (target < 0) return id;
  }
  return kept[kept.length - 1] as number;
}
