// Pure logic: load scores, power-of-two-choices picking, circuit transitions, backoff and Retry-After.
import { describe, expect, it } from "vitest";
import { backoffDelayMs, parseRetryAfterMs } from "../../service/src/gateway/backoff.js";
import { type Candidate, loadScore, pickCandidate } from "../../service/src/gateway/balancer.js";
import { CircuitBreaker } from "../../service/src/gateway/circuit.js";

/** Deterministic PRNG so distribution tests can't flake. */
function lcg(seed = 42) {
  let s = seed;
  return () => {
    s = (s * 1664525 + 1013904223) % 2 ** 32;
    return s / 2 ** 32;
  };
}

function tally(items: (Candidate & { name: string })[], n: number, random = lcg()) {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const picked = pickCandidate(items, random);
    if (picked) counts[picked.name] = (counts[picked.name] ?? 0) + 1;
  }
  return counts;
}

describe("balancer", () => {
  it("scores more outstanding requests and lower weight as worse", () => {
    expect(loadScore({ weight: 1, outstanding: 3 })).toBeGreaterThan(
      loadScore({ weight: 1, outstanding: 1 }),
    );
    expect(loadScore({ weight: 1, outstanding: 2 })).toBeGreaterThan(
      loadScore({ weight: 3, outstanding: 2 }),
    );
  });

  it("counts a reported queue beyond capacity heavily, and only others' share of the report", () => {
    const idle = {
      weight: 1,
      outstanding: 0,
      load: { active: 0, queued: 0, capacity: 1, outstandingAtSample: 0 },
    };
    const queued = {
      weight: 1,
      outstanding: 0,
      load: { active: 1, queued: 9, capacity: 1, outstandingAtSample: 0 },
    };
    expect(loadScore(queued)).toBeGreaterThan(30 * loadScore(idle));
    // The report counted our own 10 requests, which have since finished: the backend is idle.
    const ours = {
      weight: 1,
      outstanding: 0,
      load: { active: 1, queued: 9, capacity: 1, outstandingAtSample: 10 },
    };
    expect(loadScore(ours)).toBe(loadScore(idle));
  });

  it("penalises vLLM KV-cache pressure", () => {
    const base = { active: 2, queued: 0, outstandingAtSample: 0 };
    const cool = loadScore({ weight: 1, outstanding: 0, load: { ...base, kvCacheUsage: 0.3 } });
    const hot = loadScore({ weight: 1, outstanding: 0, load: { ...base, kvCacheUsage: 0.98 } });
    expect(hot).toBeGreaterThan(cool);
  });

  it("follows the weights when load is equal", () => {
    const counts = tally(
      [
        { name: "a", weight: 3, outstanding: 0 },
        { name: "b", weight: 1, outstanding: 0 },
        { name: "c", weight: 1, outstanding: 0 },
      ],
      5_000,
    );
    // With P2C the heavier backend wins most comparisons: clearly more than its weight share alone.
    expect(counts.a ?? 0).toBeGreaterThan(counts.b ?? 0);
    expect(counts.a ?? 0).toBeGreaterThan(counts.c ?? 0);
    expect(Math.abs((counts.b ?? 0) - (counts.c ?? 0))).toBeLessThan(400);
  });

  it("sends nothing to the most loaded of several backends", () => {
    const counts = tally(
      [
        { name: "busy", weight: 1, outstanding: 8 },
        { name: "x", weight: 1, outstanding: 0 },
        { name: "y", weight: 1, outstanding: 1 },
      ],
      1_000,
    );
    expect(counts.busy).toBeUndefined();
    expect(counts.x ?? 0).toBeGreaterThan(counts.y ?? 0);
  });

  it("handles zero and one candidate", () => {
    expect(pickCandidate([])).toBeUndefined();
    const only = { weight: 1, outstanding: 99 };
    expect(pickCandidate([only])).toBe(only);
  });
});

describe("circuit breaker", () => {
  const policy = { failureThreshold: 3, cooldownMs: 1_000 };

  it("opens after N consecutive failures, not after interleaved ones", () => {
    const c = new CircuitBreaker(policy, () => 0);
    c.recordFailure();
    c.recordFailure();
    c.recordSuccess();
    c.recordFailure();
    c.recordFailure();
    expect(c.state).toBe("closed");
    c.recordFailure();
    expect(c.state).toBe("open");
    expect(c.canPass()).toBe(false);
    expect(c.retryInMs()).toBe(1_000);
  });

  it("half-opens after the cooldown: no client passes, one synthetic trial is due; its success closes it", () => {
    let now = 0;
    const c = new CircuitBreaker(policy, () => now);
    for (let i = 0; i < 3; i++) c.recordFailure();
    now = 1_000;
    expect(c.state).toBe("half-open");
    expect(c.canPass()).toBe(false);
    expect(c.trialDue()).toBe(true);
    c.beginTrial();
    expect(c.trialDue()).toBe(false); // one trial at a time
    c.endTrial(true);
    expect(c.state).toBe("closed");
    expect(c.canPass()).toBe(true);
    expect(c.trials).toEqual({ passed: 1, failed: 0 });
  });

  it("a failed trial reopens with a doubled cooldown, capped", () => {
    let now = 0;
    const c = new CircuitBreaker(policy, () => now);
    for (let i = 0; i < 3; i++) c.recordFailure();
    const cooldowns: number[] = [];
    for (let i = 0; i < 6; i++) {
      now += c.retryInMs();
      c.beginTrial();
      c.endTrial(false);
      cooldowns.push(c.retryInMs());
    }
    expect(cooldowns).toEqual([2_000, 4_000, 8_000, 8_000, 8_000, 8_000]);
    expect(c.trips).toBe(1);
  });

  it("one hang (headers, then silence) opens it at once", () => {
    const c = new CircuitBreaker(policy, () => 0);
    c.recordFailure("hang");
    expect(c.state).toBe("open");
  });

  it("a backend that passes trials but fails real streams waits longer each time; ten clean streams forget it", () => {
    let now = 0;
    const c = new CircuitBreaker(policy, () => now);
    const cooldowns: number[] = [];
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < 3; i++) c.recordFailure();
      cooldowns.push(c.retryInMs());
      now += c.retryInMs();
      c.beginTrial();
      c.endTrial(true);
    }
    expect(cooldowns).toEqual([1_000, 2_000, 4_000, 8_000]);
    for (let i = 0; i < 10; i++) c.recordSuccess();
    for (let i = 0; i < 3; i++) c.recordFailure();
    expect(c.retryInMs()).toBe(1_000);
    expect(c.trips).toBe(5);
  });
});

describe("backoff", () => {
  it("is full jitter under an exponential ceiling with a cap", () => {
    expect(backoffDelayMs(0, 100, 2_000, () => 0.999)).toBe(99);
    expect(backoffDelayMs(3, 100, 2_000, () => 0.5)).toBe(400);
    expect(backoffDelayMs(10, 100, 2_000, () => 0.999)).toBe(1_998);
    expect(backoffDelayMs(5, 100, 2_000, () => 0)).toBe(0);
  });

  it("spreads retries instead of keeping them in lockstep", () => {
    const random = lcg(7);
    const delays = new Set(Array.from({ length: 50 }, () => backoffDelayMs(4, 100, 2_000, random)));
    expect(delays.size).toBeGreaterThan(40);
  });

  it("reads Retry-After as seconds, HTTP date or retry-after-ms", () => {
    expect(parseRetryAfterMs(new Headers({ "retry-after": "2" }))).toBe(2_000);
    expect(parseRetryAfterMs(new Headers({ "retry-after-ms": "150", "retry-after": "9" }))).toBe(150);
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(parseRetryAfterMs(new Headers({ "retry-after": "Thu, 01 Jan 2026 00:00:05 GMT" }), now)).toBe(
      5_000,
    );
    expect(parseRetryAfterMs(new Headers({ "retry-after": "soon" }))).toBeUndefined();
    expect(parseRetryAfterMs(new Headers())).toBeUndefined();
  });
});
