// Rate limits, the limiter's failure mode and usage accounting inside createApp, in-process through
// app.request() with a fake gateway and the in-memory limiter: N of N+10, retry-after and
// x-ratelimit-* headers, concurrency, reserve-then-settle, usage of a stream the client abandoned.
import { describe, expect, it } from "vitest";
import { createApp } from "../../service/src/http/index.js";
import { ApiError } from "../../service/src/protocol/errors.js";
import { createGuard, type Limiter, memoryLimiter, UNLIMITED } from "../../service/src/security/index.js";
import { fakeGateway } from "../helpers/fake-gateway.js";
import { bearer, chatBody, errorOf, KEYS, keyRecord, post, securedApp, securityConfig } from "./helpers.js";

describe("rate limits with a fake gateway (in-memory limiter)", () => {
  it("exactly N of N+10 parallel requests pass; 429s carry retry-after and x-ratelimit-* headers", async () => {
    const N = 4;
    const keys = [
      keyRecord("alice", KEYS.alice, { ...UNLIMITED, requestsPerMinute: N, tokensPerMinute: 100_000 }),
    ];
    const { app, limiter } = securedApp({ config: { keys } });
    const responses = await Promise.all(Array.from({ length: N + 10 }, () => post(app, bearer(KEYS.alice))));
    const ok = responses.filter((r) => r.status === 200);
    const limited = responses.filter((r) => r.status === 429);
    expect([ok.length, limited.length]).toEqual([N, 10]);
    for (const r of limited) {
      expect(await errorOf(r)).toMatchObject({ type: "rate_limit_error", code: "rate_limit_exceeded" });
      expect(Number(r.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      expect(r.headers.get("x-ratelimit-limit-requests")).toBe(String(N));
      expect(r.headers.get("x-ratelimit-remaining-requests")).toBe("0");
      expect(r.headers.get("x-ratelimit-reset-requests")).toMatch(/^\d+(\.\d+)?(ms|s)$|m/);
      expect(r.headers.get("x-ratelimit-limit-tokens")).toBe("100000");
    }
    expect(ok.map((r) => r.headers.get("x-ratelimit-remaining-requests")).sort()).toEqual([
      "0",
      "1",
      "2",
      "3",
    ]);
    expect(await limiter.usage("alice")).toMatchObject({ requests: N, rejected: 10, promptTokens: 5 * N });
  });

  it("concurrency: a second stream waits for the first to end; a failed start frees its slot", async () => {
    const keys = [keyRecord("alice", KEYS.alice, { ...UNLIMITED, concurrent: 1 })];
    const { app } = securedApp({
      config: { keys },
      gateway: { script: () => [{ text: "a" }, { delayMs: 200 }, { finish: "stop" }] },
    });
    const first = await post(app, bearer(KEYS.alice), chatBody({ stream: true }));
    expect(first.status).toBe(200);
    expect(first.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(first.headers.get("x-ratelimit-limit-requests")).toBeNull(); // no request limit on this key
    const second = await post(app, bearer(KEYS.alice), chatBody({ stream: true }));
    expect(second.status).toBe(429);
    expect(await errorOf(second)).toMatchObject({ code: "concurrency_limit_exceeded" });
    await first.text(); // stream ends → lease settled
    expect((await post(app, bearer(KEYS.alice))).status).toBe(200);

    const failing = securedApp({
      config: { keys },
      gateway: { startError: new ApiError(503, "no backend", "server_error", "backend_unavailable") },
    });
    expect((await post(failing.app, bearer(KEYS.alice))).status).toBe(503);
    expect((await post(failing.app, bearer(KEYS.alice))).status).toBe(503); // not 429: the slot was freed
    expect(await failing.limiter.usage("alice")).toMatchObject({
      requests: 2,
      promptTokens: 0,
      completionTokens: 0,
    });
  });

  it("tokens: max_tokens is reserved up front and the unused part returned after the response", async () => {
    const keys = [keyRecord("alice", KEYS.alice, { ...UNLIMITED, tokensPerMinute: 1000 })];
    const { app } = securedApp({ config: { keys } });
    const first = await post(app, bearer(KEYS.alice), chatBody({ max_tokens: 900 }));
    expect(first.status).toBe(200);
    // Reserved 900 + the prompt estimate; settled to the real 7 tokens before the response ended.
    const remaining = Number(first.headers.get("x-ratelimit-remaining-tokens"));
    expect(remaining).toBeLessThan(100);
    const second = await post(app, bearer(KEYS.alice), chatBody({ max_tokens: 900 }));
    expect(second.status).toBe(200);
    const tooBig = await post(app, bearer(KEYS.alice), chatBody({ max_tokens: 1000 }));
    expect(tooBig.status).toBe(429);
    expect(await errorOf(tooBig)).toMatchObject({ message: expect.stringMatching(/tokens per minute/) });
  });
});

describe("limiter failure (fake limiter that throws)", () => {
  it("answers a retryable 503 without passing the request through unlimited", async () => {
    const broken: Limiter = {
      ...memoryLimiter(),
      acquire: () => Promise.reject(new Error("Durable Object reset because its code was updated")),
    };
    const warnings: string[] = [];
    const guard = createGuard({ config: securityConfig(), limiter: broken, warn: (m) => warnings.push(m) });
    const gateway = fakeGateway();
    const logged: unknown[] = [];
    const app = createApp({ gateway, guard, logError: (err) => logged.push(err) });
    const response = await post(app, bearer(KEYS.alice));
    expect(response.status).toBe(503);
    expect(logged).toHaveLength(1); // a 5xx is logged by the app, as every server-side failure
    expect(response.headers.get("retry-after")).toBe("1");
    expect(await errorOf(response)).toMatchObject({ code: "rate_limiter_unavailable" });
    expect(gateway.requests).toHaveLength(0);
    expect(warnings.join("\n")).toMatch(/rate limiter unavailable for key 'alice'/);
  });
});

describe("usage accounting with a fake gateway", () => {
  it("counts tokens streamed before the client aborted (no usage chunk ever arrived)", async () => {
    const script = () => [
      ...Array.from({ length: 50 }, (_, i) => [{ text: `t${i}` }, { delayMs: 20 }]).flat(),
      { finish: "stop" as const },
      { usage: { prompt: 5, completion: 50 } },
    ];
    const { app, limiter, gateway } = securedApp({ gateway: { script } });
    const response = await post(app, bearer(KEYS.alice), chatBody({ stream: true }));
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    let text = "";
    while ((text.match(/"content":"t\d+"/g) ?? []).length < 3)
      text += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    await expect.poll(() => gateway.contexts[0]?.signal.aborted).toBe(true);
    await expect.poll(async () => (await limiter.usage("alice")).completionTokens).toBeGreaterThanOrEqual(3);
    const usage = await limiter.usage("alice");
    expect(usage.completionTokens).toBeLessThan(50);
    expect(usage.promptTokens).toBeGreaterThan(0); // the estimate, as the backend never reported
  });

  it("non-streamed and streamed responses count the backend's usage exactly", async () => {
    const { app, limiter } = securedApp();
    await (await post(app, bearer(KEYS.alice))).json();
    await (await post(app, bearer(KEYS.alice), chatBody({ stream: true }))).text();
    expect(await limiter.usage("alice")).toEqual({
      requests: 2,
      rejected: 0,
      promptTokens: 10,
      completionTokens: 4,
      inFlight: 0,
    });
  });
});
