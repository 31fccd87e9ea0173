// Log-probabilities for OpenAI `logprobs` / `top_logprobs`, computed from the model's distribution
// after bias and penalties but before temperature and truncation (what vLLM reports as processed
// logprobs without the sampling transforms).
import type { TokenLogprob, TopLogprob } from "../types.js";

export interface TokenDescriber {
  text(id: number): string;
  bytes(id: number): number[];
}

function logSumExp(logits: Float32Array): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i] as number);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp((logits[i] as number) - max);
  return max + Math.log(sum);
}

/** The `n` most likely ids, best first, ties to the lower id. */
function topIds(logits: Float32Array, n: number): number[] {
  const best: number[] = [];
  for (let i = 0; i < logits.length; i++) {
    const value = logits[i] as number;
    if (best.length === n && value <= (logits[best[n - 1] as number] as number)) continue;
    let at = best.length;
    while (at > 0 && value > (logits[best[at - 1] as number] as number)) at--;
    best.splice(at, 0, i);
    if (best.length > n) best.pop();
  }
  return best;
}

/** vLLM's floor for an impossible token (a grammar-masked one is −∞, which JSON cannot carry). */
export const minLogprob = -9999;

function entry(id: number, logprob: number, describe: TokenDescriber): TopLogprob {
  return { token: describe.text(id), logprob: Math.max(minLogprob, logprob), bytes: describe.bytes(id) };
}

export function tokenLogprob(
  logits: Float32Array,
  chosen: number,
  topN: number,
  describe: TokenDescriber,
): TokenLogprob {
  const norm = logSumExp(logits);
  const top = topN > 0 ? topIds(logits, topN) : [];
  return {
    ...entry(chosen, (logits[chosen] as number) - norm, describe),
    topLogprobs: top.map((id) => entry(id, (logits[id] as number) - norm, describe)),
  };
}
