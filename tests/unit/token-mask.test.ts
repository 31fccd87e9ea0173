// The grammar mask as a logits processor: masked tokens are −Infinity before any sampling transform,
// so no logit_bias, penalty, temperature, top-k/top-p or seed brings one back; seeded picks stay
// deterministic. The matcher here is a scripted one (a fixed allowed set per step): the mask logic is
// pure and needs no grammar runtime; tests/grammar/ and tests/engine/constrained-*.test.ts run XGrammar.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Choice, type ResolvedParams } from "../../service/src/engine/choice.js";
import { GrammarConstraint } from "../../service/src/engine/grammar/constraint.js";
import type { TokenMatcher } from "../../service/src/engine/grammar/types.js";
import { applyTokenMask, maskAllows } from "../../service/src/engine/sampling/token-mask.js";

function maskOf(allowed: Iterable<number>, vocab: number): Int32Array {
  const mask = new Int32Array(Math.ceil(vocab / 32));
  for (const id of allowed) mask[id >> 5] = (mask[id >> 5] as number) | (1 << (id & 31));
  return mask;
}

/** Scripted matcher (not a grammar): allows `allowed`, records what it accepted. */
function scriptedMatcher(allowed: number[], vocab: number) {
  const accepted: number[] = [];
  let disposed = 0;
  const matcher: TokenMatcher = {
    nextTokenBitmask: async () => maskOf(allowed, vocab),
    acceptToken: (id) => {
      accepted.push(id);
      return allowed.includes(id);
    },
    dispose: () => {
      disposed++;
    },
  };
  return { matcher, accepted, disposed: () => disposed };
}

const base: ResolvedParams = {
  maxTokens: 16,
  temperature: 1,
  topP: 1,
  topK: 0,
  minP: 0,
  presencePenalty: 0,
  frequencyPenalty: 0,
  repetitionPenalty: 1,
  stop: [],
  seed: 7,
  n: 1,
  logprobs: false,
  topLogprobs: 0,
};
const deps = {
  decode: (ids: number[]) => ids.join(","),
  describe: { text: String, bytes: () => [] },
  eosIds: new Set([0]),
};

async function constrainedPick(params: ResolvedParams, logits: Float32Array, allowed: number[]) {
  const { matcher, accepted } = scriptedMatcher(allowed, logits.length);
  const constraint = new GrammarConstraint(matcher);
  const choice = new Choice(0, [1, 2, 3], { ...params, logitsProcessors: () => [constraint] }, deps);
  expect(choice.needsPrepare).toBe(true);
  await choice.prepare();
  const picked = choice.pick(logits.slice());
  choice.accept(picked.id, picked.logprob, 100);
  return { picked, accepted };
}

const logitsArb = fc
  .array(fc.float({ min: -20, max: 20, noNaN: true, noDefaultInfinity: true }), {
    minLength: 40,
    maxLength: 200,
  })
  .map((v) => Float32Array.from(v));

describe("applyTokenMask", () => {
  it("sets exactly the disallowed ids (and ids past the mask) to -Infinity", () => {
    const logits = Float32Array.from({ length: 70 }, (_, i) => i);
    const allowed = [0, 5, 31, 32, 63];
    applyTokenMask(logits, maskOf(allowed, 64)); // the mask covers 64 ids of 70
    logits.forEach((value, id) => {
      expect(value).toBe(allowed.includes(id) ? id : Number.NEGATIVE_INFINITY);
    });
    expect(maskAllows(maskOf(allowed, 64), 31)).toBe(true);
    expect(maskAllows(maskOf(allowed, 64), 30)).toBe(false);
  });
});

describe("a choice with a grammar constraint picks only allowed tokens", () => {
  it("under any logit_bias, penalties, temperature, top_k/top_p/min_p and seed", async () => {
    await fc.assert(
      fc.asyncProperty(
        logitsArb,
        fc.uniqueArray(fc.nat({ max: 39 }), { minLength: 1, maxLength: 6 }),
        fc.record({
          temperature: fc.constantFrom(0, 0.5, 1, 2),
          topK: fc.constantFrom(0, 1, 3, 50),
          topP: fc.constantFrom(1, 0.9, 0.1),
          minP: fc.constantFrom(0, 0.2),
          presencePenalty: fc.constantFrom(0, 2),
          repetitionPenalty: fc.constantFrom(1, 1.5),
          seed: fc.integer({ min: 0, max: 2 ** 31 }),
        }),
        fc.nat({ max: 39 }),
        async (logits, allowed, params, boosted) => {
          // +100 on a token, allowed or not: the mask still wins
          const logitBias = { [boosted]: 100 };
          const { picked, accepted } = await constrainedPick(
            { ...base, ...params, logitBias },
            logits,
            allowed,
          );
          expect(allowed).toContain(picked.id);
          expect(accepted).toEqual(picked.id === 0 ? [] : [picked.id]); // end-of-turn ids are not fed on
        },
      ),
      { numRuns: 300 },
    );
  });

  it("greedy takes the best allowed token; a seed gives the same pick every time", async () => {
    const logits = Float32Array.from([9, 1, 8, 3, 7, 2]);
    expect((await constrainedPick({ ...base, temperature: 0 }, logits, [1, 3, 5])).picked.id).toBe(3);
    const picks = await Promise.all(
      Array.from({ length: 5 }, () => constrainedPick({ ...base, seed: 42 }, logits, [1, 3, 5])),
    );
    expect(new Set(picks.map((p) => p.picked.id)).size).toBe(1);
  });

  it("logprobs report masked tokens below every allowed one, at vLLM's floor of -9999 (JSON has no -Infinity)", async () => {
    const logits = Float32Array.from([5, 4, 3, 2, 1, 0]);
    const { picked } = await constrainedPick({ ...base, logprobs: true, topLogprobs: 4 }, logits, [2, 4]);
    const top = picked.logprob?.topLogprobs ?? [];
    expect(top.map((t) => t.token).slice(0, 2)).toEqual(["2", "4"]);
    for (const t of top.slice(2)) expect(t.logprob).toBe(-9999);
  });

  it("a pick without a prepared mask fails rather than sampling unconstrained", () => {
    const constraint = new GrammarConstraint(scriptedMatcher([1], 8).matcher);
    expect(() => constraint.process(new Float32Array(8))).toThrow(/not prepared/);
  });

  it("a choice without processors needs no prepare (no await per pick)", () => {
    expect(new Choice(0, [1], base, deps).needsPrepare).toBe(false);
  });
});
