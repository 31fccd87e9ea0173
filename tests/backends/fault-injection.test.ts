// Each fault, caused on cue by a FAKE upstream, against a real gateway: before the first token the
// gateway fails over or retries; after it the stream ends with a ApiError (which the HTTP layer
// turns into `data: {"error": …}` + `[DONE]`), never a clean end.
import { afterEach, describe, expect, it } from "vitest";
import { type FakeUpstream, startFakeUpstream } from "./helpers/fake-upstream.js";
import { ask, ctx, drain, gatewayFor, manualClock, startError, waitFor } from "./helpers/gateway-harness.js";

const fakes: FakeUpstream[] = [];
async function fake(...script: Parameters<typeof startFakeUpstream>[0] & unknown[]) {
  const f = await startFakeUpstream(script);
  fakes.push(f);
  return f;
}
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});

// A heavy first backend is always picked first (both candidates compared, lower score wins).
const first = (url: string) => ({ url, weight: 1000 });
const second = (url: string) => ({ url, weight: 0.001 });

describe("fault-injecting upstream (fake): before the first token", () => {
  it("stall before first token → times out and fails over to the next backend", async () => {
    const a = await fake({ kind: "stall-before-first" });
    const b = await fake();
    const gateway = gatewayFor([first(a.url), second(b.url)]);
    const stream = await gateway.chat(ask(), ctx());
    const out = await drain(stream);
    expect(stream.backendId).toBe("b1");
    expect(out.text).toBe("Hello world");
    await waitFor(() => a.disconnects === 1); // the stalled upstream request was cancelled
  });

  it("stall before first token on the only backend → 504 first-token timeout", async () => {
    const a = await fake({ kind: "stall-before-first" }, { kind: "stall-before-first" });
    const err = await startError(gatewayFor([{ url: a.url }], { retry: { maxAttempts: 2, baseDelayMs: 1 } }));
    expect(err.status).toBe(504);
    expect(err.code).toBe("upstream_first_token_timeout");
    expect(a.requests).toHaveLength(2);
  });

  it("no response headers → connect timeout, failover", async () => {
    const a = await fake({ kind: "no-headers" });
    const b = await fake();
    const out = await drain(await gatewayFor([first(a.url), second(b.url)]).chat(ask(), ctx()));
    expect(out.text).toBe("Hello world");
    expect(a.requests).toHaveLength(1);
  });

  it("garbage SSE before any content → 502, failover to a healthy backend", async () => {
    const a = await fake({ kind: "garbage" });
    const b = await fake();
    const stream = await gatewayFor([first(a.url), second(b.url)]).chat(ask(), ctx());
    expect(stream.backendId).toBe("b1");
    expect((await drain(stream)).text).toBe("Hello world");
  });

  it("429 with Retry-After on the only backend → waits that long (on the gateway's clock), then succeeds", async () => {
    const a = await fake({ kind: "status", status: 429, retryAfter: "1" });
    const clock = manualClock();
    // timeouts out of reach, so the 429 is the only thing that can make the gateway wait
    const timeouts = { connectMs: 60_000, firstTokenMs: 60_000, idleMs: 60_000, totalMs: 120_000 };
    const gateway = gatewayFor([{ url: a.url }], { timeouts }, clock);
    const out = await drain(await gateway.chat(ask(), ctx()));
    expect(out.text).toBe("Hello world");
    // Retry-After honoured: the first wait is the rest it asked for (a backoff may follow: the
    // backend already failed this request once)
    expect(clock.slept[0]).toBe(1000);
    expect(a.requests).toHaveLength(2);
    expect(gateway.status().m?.[0]?.circuit).toBe("closed"); // overload is not a failure
  });

  it("429 with Retry-After beyond the deadline → 429 to the client with retry-after", async () => {
    const a = await fake({ kind: "status", status: 429, retryAfter: "30" });
    const err = await startError(gatewayFor([{ url: a.url }], { timeouts: { totalMs: 2_000 } }));
    expect(err.status).toBe(429);
    expect(err.retryAfterSeconds).toBe(30);
    expect(a.requests).toHaveLength(1);
  });

  it("429 on one backend → the other serves at once", async () => {
    const a = await fake({ kind: "status", status: 429, retryAfter: "30" });
    const b = await fake();
    const gateway = gatewayFor([first(a.url), second(b.url)]);
    expect((await drain(await gateway.chat(ask(), ctx()))).text).toBe("Hello world");
    // While resting, the 429 backend is not tried again.
    await drain(await gateway.chat(ask(), ctx()));
    expect(a.requests).toHaveLength(1);
    expect(b.requests).toHaveLength(2);
  });

  it("503 then success → retried with backoff on the same backend", async () => {
    const a = await fake({ kind: "status", status: 503 }, { kind: "status", status: 503 });
    const out = await drain(await gatewayFor([{ url: a.url }]).chat(ask(), ctx()));
    expect(out.text).toBe("Hello world");
    expect(a.requests).toHaveLength(3);
  });

  it("400 from upstream (bad request) is not retried and keeps its status", async () => {
    const body = {
      error: { message: "context too long", type: "invalid_request_error", code: "context_length_exceeded" },
    };
    const a = await fake({ kind: "status", status: 400, body });
    const err = await startError(gatewayFor([{ url: a.url }]));
    expect([err.status, err.code, err.message]).toEqual([400, "context_length_exceeded", "context too long"]);
    expect(a.requests).toHaveLength(1);
  });

  it("connection refused → fails over", async () => {
    const b = await fake();
    const out = await drain(
      await gatewayFor([first("http://127.0.0.1:9"), second(b.url)]).chat(ask(), ctx()),
    );
    expect(out.text).toBe("Hello world");
  });
});

describe("fault-injecting upstream (fake): after the first token", () => {
  it("stall mid-stream → idle timeout error after the content already sent", async () => {
    const a = await fake({ kind: "stall-mid-stream", tokens: ["Hel", "lo"] });
    const b = await fake();
    const out = await drain(await gatewayFor([first(a.url), second(b.url)]).chat(ask(), ctx()));
    expect(out.text).toBe("Hello");
    expect(out.error?.status).toBe(504);
    expect(out.error?.code).toBe("upstream_idle_timeout");
    expect(b.requests).toHaveLength(0); // never retried once content was sent
    await waitFor(() => a.disconnects === 1);
  });

  it("garbage SSE mid-stream → 502 error, not a clean end", async () => {
    const a = await fake({ kind: "garbage", afterTokens: ["Hi"] });
    const out = await drain(await gatewayFor([{ url: a.url }]).chat(ask(), ctx()));
    expect(out.text).toBe("Hi");
    expect(out.error?.code).toBe("upstream_bad_response");
  });

  it("upstream error event mid-stream → error carrying its message", async () => {
    const a = await fake({ kind: "error-event", afterTokens: ["Hi"] });
    const out = await drain(await gatewayFor([{ url: a.url }]).chat(ask(), ctx()));
    expect(out.error?.message).toContain("engine exploded");
  });

  it("client abort mid-stream → upstream request cancelled", async () => {
    const a = await fake({ kind: "ok", tokens: Array(50).fill("x"), delayMs: 20 });
    const gateway = gatewayFor([{ url: a.url }]);
    const abort = new AbortController();
    const stream = await gateway.chat(ask(), ctx(abort.signal));
    const it = stream.chunks[Symbol.asyncIterator]();
    await it.next();
    abort.abort();
    await waitFor(() => a.disconnects === 1);
    expect(gateway.status().m?.[0]?.outstanding).toBe(0);
  });
});

describe("total timeout and early abort (fake upstream)", () => {
  it("total deadline passes mid-stream → stream error, upstream cancelled", async () => {
    const a = await fake({ kind: "ok", tokens: Array(40).fill("x"), delayMs: 50 });
    const gateway = gatewayFor([{ url: a.url }], {
      timeouts: { idleMs: 1_000, firstTokenMs: 1_000, totalMs: 600 },
    });
    const out = await drain(await gateway.chat(ask(), ctx()));
    expect(out.text.length).toBeGreaterThan(0);
    expect(out.text.length).toBeLessThan(40);
    expect(out.error?.status).toBe(504);
    expect(out.error?.code).toBe("deadline_exceeded");
    await waitFor(() => a.disconnects === 1);
  });

  it("client abort before anyone iterates the stream → upstream closed, slot released", async () => {
    const a = await fake({ kind: "ok", tokens: Array(50).fill("x"), delayMs: 20 });
    const gateway = gatewayFor([{ url: a.url }]);
    const abort = new AbortController();
    await gateway.chat(ask(), ctx(abort.signal));
    expect(gateway.status().m?.[0]?.outstanding).toBe(1);
    abort.abort();
    await waitFor(() => a.disconnects === 1);
    expect(gateway.status().m?.[0]?.outstanding).toBe(0);
  });
});

describe("circuit breaker (fake upstream)", () => {
  it("opens after consecutive failures; all open → 503 with retry-after", async () => {
    const a = await fake(...Array(3).fill({ kind: "status", status: 500 }));
    const gateway = gatewayFor([{ url: a.url }], { circuit: { failureThreshold: 3, cooldownMs: 60_000 } });
    const err = await startError(gateway);
    expect(err.status).toBe(502);
    expect(gateway.status().m?.[0]?.circuit).toBe("open");
    const blocked = await startError(gateway);
    expect(blocked.status).toBe(503); // fails fast with the circuit open: nothing sent
    expect(blocked.retryAfterSeconds).toBe(60);
    expect(a.requests).toHaveLength(3);
  });

  it("all open with a cooldown inside the deadline → still 503 at once; a synthetic half-open trial closes it", async () => {
    const a = await fake(...Array(3).fill({ kind: "status", status: 500 }));
    const clock = manualClock();
    const gateway = gatewayFor(
      [{ url: a.url }],
      { circuit: { failureThreshold: 3, cooldownMs: 300 } },
      clock,
    );
    expect((await startError(gateway)).status).toBe(502);
    const blocked = await startError(gateway);
    expect([blocked.status, blocked.retryAfterSeconds]).toEqual([503, 1]);
    // Failed fast: had it sat out the cooldown, its half-open trial would have reached the upstream.
    expect(a.requests).toHaveLength(3);
    expect(gateway.status().m?.[0]?.circuit).toBe("open");
    clock.advance(299);
    expect(gateway.status().m?.[0]?.circuit).toBe("open");
    clock.advance(1); // the cooldown is over
    expect(gateway.status().m?.[0]?.circuit).toBe("half-open");
    await gateway.probeAll(); // runs the trial that is due and waits for its verdict
    expect((await drain(await gateway.chat(ask(), ctx()))).text).toBe("Hello world");
    expect(gateway.status().m?.[0]?.circuit).toBe("closed");
    // The trial (a one-token completion) reached the upstream before the client's request did.
    expect(a.requests.slice(3).map((r) => r.max_tokens)).toEqual([1, undefined]);
  });
});
