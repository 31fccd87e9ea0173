// Sampling on Float32Array: processors, truncation (checked against brute force with fast-check),
// the seeded PRNG, and logprobs.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { tokenLogprob } from "../../service/src/engine/sampling/logprobs.js";
import { Xoshiro128 } from "../../service/src/engine/sampling/prng.js";
import {
  applyLogitBias,
  applyPresenceFrequency,
  applyRepetitionPenalty,
  applyTemperature,
  argmax,
} from "../../service/src/engine/sampling/processors.js";
import { sampleToken } from "../../service/src/engine/sampling/sampler.js";
import { kthLargest } from "../../service/src/engine/sampling/select.js";

const logitsArb = fc
  .array(fc.float({ min: -20, max: 20, noNaN: true, noDefaultInfinity: true }), {
    minLength: 2,
    maxLength: 300,
  })
  .map((values) => Float32Array.from(values));

function softmax(logits: Float32Array): number[] {
  const max = Math.max(...logits);
  const exps = [...logits].map((l) => Math.exp(l - max));
  const total = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / total);
}

/** Ids ranked by probability (ties to the lower id), as the sampler ranks them. */
function ranked(probs: number[]): number[] {
  return probs.map((_, i) => i).sort((a, b) => (probs[b] as number) - (probs[a] as number) || a - b);
}

describe("truncation samplers keep only allowed tokens (brute force oracle)", () => {
  it("top_k", () => {
    fc.assert(
      fc.property(logitsArb, fc.integer({ min: 1, max: 10 }), fc.integer(), (logits, k, seed) => {
        const probs = softmax(logits);
        const kthProb = ranked(probs)[Math.min(k, logits.length) - 1] as number;
        const id = sampleToken(logits.slice(), { topK: k }, new Xoshiro128(seed));
        expect(probs[id] as number).toBeGreaterThanOrEqual((probs[kthProb] as number) - 1e-9);
      }),
    );
  });

  it("top_p: the token lies in the smallest prefix of the ranking whose mass reaches p", () => {
    fc.assert(
      fc.property(
        logitsArb,
        fc.double({ min: 0.05, max: 0.99, noNaN: true }),
        fc.integer(),
        (logits, p, seed) => {
          const probs = softmax(logits);
          const order = ranked(probs);
          let mass = 0;
          let end = 0;
          while (end < order.length && mass < p - 1e-9) mass += probs[order[end++] as number] as number;
          // the nucleus's least likely member; near-ties may rank either way, hence the tolerance
          const edge = probs[order[Math.max(0, end - 1)] as number] as number;
          const id = sampleToken(logits.slice(), { topP: p }, new Xoshiro128(seed));
          expect(probs[id] as number).toBeGreaterThanOrEqual(edge - 1e-9);
        },
      ),
    );
  });

  it("min_p: the token's probability is at least min_p × the top probability", () => {
    fc.assert(
      fc.property(
        logitsArb,
        fc.double({ min: 0.01, max: 1, noNaN: true }),
        fc.integer(),
        (logits, minP, seed) => {
          const probs = softmax(logits);
          const id = sampleToken(logits.slice(), { minP }, new Xoshiro128(seed));
          expect(probs[id] as number).toBeGreaterThanOrEqual(minP * Math.max(...probs) * (1 - 1e-9));
        },
      ),
    );
  });

  it("min_p keeps every token above the floor and none below it", () => {
    const logits = Float32Array.from([0, Math.log(0.5), Math.log(0.35), Math.log(0.2)]);
    const rng = new Xoshiro128(5);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 5000; i++) (counts[sampleToken(logits.slice(), { minP: 0.3 }, rng)] as number)++;
    expect(counts[3]).toBe(0);
    expect(counts[2] as number).toBeGreaterThan(500); // 0.35 / 1.85 of the draws ≈ 950
  });

  it("top_p keeps the smallest ranked prefix reaching p, and samples it in proportion", () => {
    const logits = Float32Array.from([Math.log(0.1), Math.log(0.5), Math.log(0.3), Math.log(0.1)]);
    const rng = new Xoshiro128(6);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 8000; i++) (counts[sampleToken(logits.slice(), { topP: 0.75 }, rng)] as number)++;
    expect(counts[0]).toBe(0);
    expect(counts[3]).toBe(0);
    expect((counts[1] as number) / 8000).toBeCloseTo(0.5 / 0.8, 1);
  });

  it("plain sampling follows the softmax distribution", () => {
    const logits = Float32Array.from([0, Math.log(2), Math.log(3), Math.log(4)]);
    const rng = new Xoshiro128(123);
    const counts = [0, 0, 0, 0];
    const draws = 40_000;
    for (let i = 0; i < draws; i++) (counts[sampleToken(logits, {}, rng)] as number)++;
    counts.forEach((c, i) => {
      expect(c / draws).toBeCloseTo((i + 1) / 10, 2);
    });
  });
});

describe("quickselect", () => {
  it("kthLargest equals the k-th value of a descending sort (duplicates included)", () => {
    fc.assert(
      fc.property(logitsArb, fc.nat(), (values, n) => {
        const k = (n % values.length) + 1;
        const sorted = [...values].sort((a, b) => b - a);
        expect(kthLargest(values, k)).toBe(sorted[k - 1]);
      }),
    );
  });
});

describe("processors", () => {
  it("logit bias adds, −100 bans, ids out of range are ignored", () => {
    const logits = Float32Array.from([1, 2, 3]);
    applyLogitBias(logits, { 0: 5, 2: -100, 7: 1 });
    expect([...logits]).toEqual([6, 2, -97]);
  });

  it("repetition penalty divides positive and multiplies negative logits of seen tokens", () => {
    const logits = Float32Array.from([2, -2, 4]);
    applyRepetitionPenalty(logits, new Set([0, 1]), 2);
    expect([...logits]).toEqual([1, -4, 4]);
  });

  it("presence and frequency penalties follow OpenAI's formula", () => {
    const logits = Float32Array.from([5, 5, 5]);
    applyPresenceFrequency(
      logits,
      new Map([
        [0, 3],
        [2, 1],
      ]),
      0.5,
      0.25,
    );
    expect([...logits]).toEqual([5 - 0.5 - 0.75, 5, 5 - 0.5 - 0.25]);
  });

  it("temperature scales and argmax takes the first maximum", () => {
    const logits = Float32Array.from([1, 4, 4, 2]);
    applyTemperature(logits, 0.5);
    expect([...logits]).toEqual([2, 8, 8, 4]);
    expect(argmax(logits)).toBe(1);
  });
});

describe("seeded PRNG", () => {
  it("same seed and stream give the same sequence; streams and seeds differ", () => {
    const draw = (seed: number, stream: number) => {
      const rng = new Xoshiro128(seed, stream);
      return Array.from({ length: 8 }, () => rng.nextUint32());
    };
    expect(draw(42, 0)).toEqual(draw(42, 0));
    expect(draw(42, 0)).not.toEqual(draw(42, 1));
    expect(draw(42, 0)).not.toEqual(draw(43, 0));
    expect(draw(2 ** 40 + 5, 0)).not.toEqual(draw(5, 0));
  });

  it("floats are uniform in [0, 1)", () => {
    const rng = new Xoshiro128(7);
    let sum = 0;
    let outside = 0;
    for (let i = 0; i < 100_000; i++) {
      const x = rng.nextFloat();
      if (!(x >= 0 && x < 1)) outside++;
      sum += x;
    }
    expect(outside).toBe(0);
    expect(sum / 100_000).toBeCloseTo(0.5, 2);
  });
});

describe("logprobs", () => {
  it("chosen and top logprobs are log-softmax values, best first", () => {
    const logits = Float32Array.from([1, 3, 2, 0]);
    const describe = { text: (id: number) => `t${id}`, bytes: (id: number) => [id] };
    const lp = tokenLogprob(logits, 2, 3, describe);
    const logSoftmax = softmax(logits).map(Math.log);
    expect(lp.token).toBe("t2");
    expect(lp.logprob).toBeCloseTo(logSoftmax[2] as number, 6);
    expect(lp.topLogprobs.map((t) => t.token)).toEqual(["t1", "t2", "t0"]);
    expect(lp.topLogprobs[0]?.logprob).toBeCloseTo(logSoftmax[1] as number, 6);
    expect(lp.topLogprobs[0]?.bytes).toEqual([1]);
  });
});
