// The generate loop: prefill once, then decode every live choice one token per step, each choice
// on its own KV cache (all n start from the prefill's cache, shared by reference). Checked for
// abort before every step; every cache is released however the loop ends.
import { Choice, type ChoiceDeps, type ResolvedParams } from "./choice.js";
import type { Decoder, KvCache } from "./decoder.js";
import type { GenerateEvent, TokenLogprob } from "./types.js";

interface Live {
  choice: Choice;
  cache: KvCache;
  next: { id: number; logprob?: TokenLogprob };
}

export async function* runGeneration(
  decoder: Decoder,
  promptIds: readonly number[],
  params: ResolvedParams,
  deps: ChoiceDeps,
  contextLength: number,
  signal?: AbortSignal,
): AsyncGenerator<GenerateEvent> {
  signal?.throwIfAborted();
  const prefill = await decoder.prefill(promptIds);
  const live: Live[] = [];
  const choices: Choice[] = [];
  for (let index = 0; index < params.n; index++) {
    const choice = new Choice(index, promptIds, params, deps);
    choices.push(choice);
    // every choice modifies its logits, so all but the last get their own copy
    const logits = index === params.n - 1 ? prefill.logits : prefill.logits.slice();
    const cache = index === 0 ? prefill.cache : prefill.cache.retain();
    live.push({ choice, cache, next: choice.pick(logits) });
  }
  try {
    let position = promptIds.length;
    while (live.length > 0) {
      signal?.throwIfAborted();
      // the token being accepted occupies `position`; a next step needs position + 1 < context
      const contextLeft = contextLength - (position + 1);
      for (const entry of [...live]) {
        yield* entry.choice.accept(entry.next.id, entry.next.logprob, contextLeft);
        if (entry.choice.finishReason !== undefined) {
          entry.cache.release();
          live.splice(live.indexOf(entry), 1);
          continue;
        }
        signal?.throwIfAborted();
        const step = await decoder.step(entry.next.id, entry.cache);
        entry.cache.release();
        entry.cache = step.cache;
        entry.next = entry.choice.pick(step.logits);
      }
      position++;
    }
    const completionTokens = choices.reduce((sum, c) => sum + c.completionTokens, 0);
    yield { type: "usage", usage: { promptTokens: promptIds.length, completionTokens } };
  } finally {
    for (const entry of live) entry.cache.release();
  }
}
