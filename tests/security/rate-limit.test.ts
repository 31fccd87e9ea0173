// The rate-limit rules on an explicit clock: request and token buckets, reserve-then-settle,
// concurrency leases, and the headers/429 built from a decision.
import { describe, expect, it } from "vitest";
import type { RateLimits } from "../../service/src/security/index.js";
import { KeyLimiterState } from "../../service/src/security/index.js";
import { LEASE_MS } from "../../service/src/security/rate-limit.js";
import {
  formatDuration,
  rateLimited,
  rateLimitHeaders,
} from "../../service/src/security/rate-limit-headers.js";

const limits = (over: Partial<RateLimits>): RateLimits => ({
  requestsPerMinute: null,
  tokensPerMinute: null,
  concurrent: null,
  ...over,
});

describe("KeyLimiterState", () => {
  it("admits exactly N of N+10 requests in one instant, then one more per 60/N seconds", () => {
    const state = new KeyLimiterState();
    const l = limits({ requestsPerMinute: 6 });
    const decisions = Array.from({ length: 16 }, () => state.acquire({ limits: l, reserveTokens: 0 }, 0));
    expect(decisions.filter((d) => d.ok)).toHaveLength(6);
    const refused = decisions.filter((d) => !d.ok);
    expect(refused).toHaveLength(10);
    expect(refused[0]).toMatchObject({ reason: "requests", limit: 6, retryAfterMs: 10_000 });
    expect(state.acquire({ limits: l, reserveTokens: 0 }, 9_999).ok).toBe(false);
    expect(state.acquire({ limits: l, reserveTokens: 0 }, 10_000).ok).toBe(true);
    expect(state.usage).toMatchObject({ requests: 7, rejected: 11 });
  });

  it("reserves max tokens up front and settles with the real usage", () => {
    const state = new KeyLimiterState();
    const l = limits({ tokensPerMinute: 1000 });
    const first = state.acquire({ limits: l, reserveTokens: 600 }, 0);
    expect(first).toMatchObject({ ok: true, reserved: 600, tokens: { limit: 1000, remaining: 400 } });
    // A second 600-token reservation does not fit while the first is outstanding...
    expect(state.acquire({ limits: l, reserveTokens: 600 }, 0)).toMatchObject({
      ok: false,
      reason: "tokens",
    });
    // ...but fits once the first settles having used 50 tokens.
    if (!first.ok) throw new Error("unreachable");
    state.settle(first.leaseId, first.reserved, { promptTokens: 20, completionTokens: 30 }, l, 0);
    const second = state.acquire({ limits: l, reserveTokens: 600 }, 0);
    expect(second).toMatchObject({ ok: true, tokens: { remaining: 350 } });
    expect(state.usage).toMatchObject({ requests: 2, rejected: 1, promptTokens: 20, completionTokens: 30 });
  });

  it("charges usage beyond the reservation as debt, and clamps a reservation larger than the limit", () => {
    const state = new KeyLimiterState();
    const l = limits({ tokensPerMinute: 100 });
    const big = state.acquire({ limits: l, reserveTokens: 10_000 }, 0);
    expect(big).toMatchObject({ ok: true, reserved: 100 });
    if (!big.ok) throw new Error("unreachable");
    state.settle(big.leaseId, big.reserved, { promptTokens: 100, completionTokens: 50 }, l, 0);
    // 50 tokens of debt: a 10-token request waits until the bucket refills to 10 (60 s × 60/100).
    expect(state.acquire({ limits: l, reserveTokens: 10 }, 0)).toMatchObject({
      ok: false,
      retryAfterMs: 36_000,
    });
    expect(state.acquire({ limits: l, reserveTokens: 10 }, 36_000).ok).toBe(true);
  });

  it("limits requests in flight until they settle; an unsettled lease expires", () => {
    const state = new KeyLimiterState();
    const l = limits({ concurrent: 2 });
    const a = state.acquire({ limits: l, reserveTokens: 0 }, 0);
    const b = state.acquire({ limits: l, reserveTokens: 0 }, 0);
    expect(state.acquire({ limits: l, reserveTokens: 0 }, 0)).toMatchObject({
      ok: false,
      reason: "concurrency",
    });
    if (!a.ok || !b.ok) throw new Error("unreachable");
    state.settle(a.leaseId, 0, { promptTokens: 0, completionTokens: 0 }, l, 1);
    expect(state.acquire({ limits: l, reserveTokens: 0 }, 1).ok).toBe(true);
    expect(state.acquire({ limits: l, reserveTokens: 0 }, 2).ok).toBe(false);
    expect(state.acquire({ limits: l, reserveTokens: 0 }, LEASE_MS + 1).ok).toBe(true);
  });

  it("applies a changed limit at once (a lowered limit caps what is left)", () => {
    const state = new KeyLimiterState();
    state.acquire({ limits: limits({ requestsPerMinute: 100 }), reserveTokens: 0 }, 0);
    const lowered = limits({ requestsPerMinute: 2 });
    expect(state.acquire({ limits: lowered, reserveTokens: 0 }, 0)).toMatchObject({
      ok: true,
      requests: { remaining: 1 },
    });
    expect(state.acquire({ limits: lowered, reserveTokens: 0 }, 0).ok).toBe(true);
    expect(state.acquire({ limits: lowered, reserveTokens: 0 }, 0).ok).toBe(false);
  });
});

describe("rate-limit headers", () => {
  it("formats durations like OpenAI", () => {
    expect([20, 999.2, 1000, 1500, 60_000, 360_000, 61_250].map(formatDuration)).toEqual([
      "20ms",
      "1000ms",
      "1s",
      "1.5s",
      "1m0s",
      "6m0s",
      "1m1.25s",
    ]);
  });

  it("builds a 429 with retry-after in whole seconds and x-ratelimit-* for both limits", () => {
    const state = new KeyLimiterState();
    const l = limits({ requestsPerMinute: 1, tokensPerMinute: 500 });
    const ok = state.acquire({ limits: l, reserveTokens: 100 }, 0);
    expect(rateLimitHeaders(ok)).toEqual({
      "x-ratelimit-limit-requests": "1",
      "x-ratelimit-remaining-requests": "0",
      "x-ratelimit-reset-requests": "1m0s",
      "x-ratelimit-limit-tokens": "500",
      "x-ratelimit-remaining-tokens": "400",
      "x-ratelimit-reset-tokens": "12s",
    });
    const refused = state.acquire({ limits: l, reserveTokens: 100 }, 30_000);
    if (refused.ok) throw new Error("expected a refusal");
    const error = rateLimited(refused, "alice");
    expect(error.status).toBe(429);
    expect(error.code).toBe("rate_limit_exceeded");
    expect(error.headers["retry-after"]).toBe("30");
    expect(error.headers["retry-after-ms"]).toBe("30000");
    expect(error.headers["x-ratelimit-remaining-requests"]).toBe("0");
    expect(error.message).toMatch(/requests per minute on key 'alice': limit 1/);
  });
});
