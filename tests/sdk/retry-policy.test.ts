// The retry policy as pure functions: which responses are retried and how long to wait.
import { describe, expect, it, vi } from "vitest";
import { retryDelayMs, shouldRetryResponse } from "../../sdk/src/index.js";

const h = (init: Record<string, string> = {}) => new Headers(init);

describe("shouldRetryResponse", () => {
  it("retries 408, 409, 429 and 5xx, nothing else", () => {
    const retried = [400, 401, 403, 404, 408, 409, 413, 422, 429, 500, 502, 503, 504].filter((s) =>
      shouldRetryResponse(s, h()),
    );
    expect(retried).toEqual([408, 409, 429, 500, 502, 503, 504]);
  });

  it("x-should-retry overrides the status either way", () => {
    expect(shouldRetryResponse(503, h({ "x-should-retry": "false" }))).toBe(false);
    expect(shouldRetryResponse(400, h({ "x-should-retry": "true" }))).toBe(true);
    expect(shouldRetryResponse(429, h({ "x-should-retry": "maybe" }))).toBe(true);
  });
});

describe("retryDelayMs", () => {
  it("backs off 0.5 s, 1 s, 2 s, 4 s, 8 s, 8 s without jitter", () => {
    const delays = [1, 2, 3, 4, 5, 6].map((n) => retryDelayMs(n, h(), () => 0));
    expect(delays).toEqual([500, 1000, 2000, 4000, 8000, 8000]);
  });

  it("jitter takes off at most 25%", () => {
    expect(retryDelayMs(2, h(), () => 0.999999)).toBeCloseTo(750, 0);
    for (let i = 0; i < 200; i++) {
      const d = retryDelayMs(3, h());
      expect(d).toBeGreaterThan(1500);
      expect(d).toBeLessThanOrEqual(2000);
    }
  });

  it("prefers retry-after-ms, then retry-after seconds, then an HTTP-date", () => {
    expect(retryDelayMs(1, h({ "retry-after-ms": "1234.5", "retry-after": "9" }))).toBe(1234.5);
    expect(retryDelayMs(1, h({ "retry-after": "3" }))).toBe(3000);
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      vi.setSystemTime(new Date("2026-01-01T00:00:00.000Z"));
      const inTenSeconds = new Date("2026-01-01T00:00:10.000Z").toUTCString();
      expect(retryDelayMs(1, h({ "retry-after": inTenSeconds }))).toBe(10_000);
    } finally {
      vi.useRealTimers();
    }
  });

  it("ignores absurd or malformed server delays and falls back to backoff", () => {
    const absurd: Record<string, string>[] = [
      { "retry-after": "3600" },
      { "retry-after-ms": "-5" },
      { "retry-after": "soon" },
    ];
    for (const headers of absurd) {
      expect(retryDelayMs(1, h(headers), () => 0)).toBe(500);
    }
    expect(retryDelayMs(1, h({ "retry-after-ms": "120000", "retry-after": "2" }))).toBe(2000);
  });
});
