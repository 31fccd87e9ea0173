// The guard inside createApp, in-process through app.request() with a fake gateway: auth, model
// access, request limits, rate limits with their headers, concurrency, reserve-then-settle, usage
// counted when a client aborts a stream, and the admin endpoint.
import { describe, expect, it } from "vitest";
import { GatewayError } from "../../service/src/gateway/types.js";
import { createApp } from "../../service/src/http/index.js";
import {
  createGuard,
  DEFAULT_REQUEST_LIMITS,
  type Limiter,
  memoryLimiter,
  UNLIMITED,
} from "../../service/src/security/index.js";
import { fakeGateway } from "../helpers/fake-gateway.js";
import {
  assertOpenAIError,
  bearer,
  chatBody,
  KEYS,
  keyRecord,
  SECRETS,
  securedApp,
  securityConfig,
} from "./helpers.js";

type App = ReturnType<typeof securedApp>["app"];
const json = { "content-type": "application/json" };

function post(app: App, headers: Record<string, string>, body: string | Uint8Array = chatBody()) {
  return app.request("/v1/chat/completions", {
    method: "POST",
    headers: { ...json, ...headers },
    body: body as BodyInit,
  });
}

async function errorOf(response: Response) {
  const body = await response.json();
  assertOpenAIError(body, `status ${response.status}`);
  return body.error as { message: string; type: string; code: string | null; param: string | null };
}

describe("auth with a fake gateway", () => {
  it("no key → 401 missing_api_key, wrong or malformed key → 401 invalid_api_key", async () => {
    const { app } = securedApp();
    expect(await errorOf(await post(app, {}))).toMatchObject({ code: "missing_api_key" });
    for (const header of [`Bearer ${KEYS.alice}x`, `Bearer ${KEYS.admin}`, `Bearer ${"a".repeat(100_000)}`]) {
      const response = await post(app, { authorization: header });
      expect(response.status).toBe(401);
      expect(await errorOf(response)).toMatchObject({ code: "invalid_api_key" });
    }
    for (const header of ["Bearer", `Basic ${KEYS.alice}`, `Bearer ${KEYS.alice} extra`]) {
      expect((await post(app, { authorization: header })).status).toBe(401);
    }
    expect((await app.request("/v1/models")).status).toBe(401);
    expect((await app.request("/v1/models", { headers: bearer(KEYS.alice) })).status).toBe(200);
    expect((await app.request("/health")).status).toBe(200);
  });

  it("a key not allowed for the model → 403 permission_error; allowed → 200", async () => {
    const { app } = securedApp();
    const denied = await post(app, bearer(KEYS.bob), chatBody({ model: "petrel-large" }));
    expect(denied.status).toBe(403);
    expect(await errorOf(denied)).toMatchObject({ type: "permission_error", code: "model_not_allowed" });
    expect((await post(app, bearer(KEYS.bob))).status).toBe(200);
    expect((await post(app, bearer(KEYS.alice), chatBody({ model: "petrel-large" }))).status).toBe(200);
  });

  it("without keys: closed (401) unless open mode, which warns loudly at start", async () => {
    const closed = securedApp({ config: { keys: [] } });
    expect((await post(closed.app, bearer(KEYS.alice))).status).toBe(401);
    expect(closed.logs.join("\n")).toMatch(/no API keys configured/);
    const open = securedApp({ config: { keys: [], open: true } });
    expect((await post(open.app, {})).status).toBe(200);
    expect(open.logs.join("\n")).toMatch(/PETREL OPEN MODE/);
    expect(await open.limiter.usage("anonymous")).toMatchObject({ requests: 1, promptTokens: 5 });
  });
});

describe("request limits with a fake gateway", () => {
  const limits = { ...DEFAULT_REQUEST_LIMITS, maxMessages: 3, maxContentChars: 50, maxTokens: 64, maxN: 2 };
  const cases: [string, Record<string, unknown> | string, string, string | null][] = [
    [
      "too many messages",
      { messages: Array(4).fill({ role: "user", content: "x" }) },
      "array_above_max_length",
      "messages",
    ],
    [
      "overlong content",
      { messages: [{ role: "user", content: "x".repeat(51) }] },
      "string_above_max_length",
      "messages[0].content",
    ],
    [
      "overlong text parts",
      { messages: [{ role: "user", content: [{ type: "text", text: "y".repeat(51) }] }] },
      "string_above_max_length",
      "messages[0].content",
    ],
    ["max_tokens over the cap", { max_tokens: 65 }, "integer_above_max_value", "max_tokens"],
    [
      "max_completion_tokens over the cap",
      { max_completion_tokens: 1e9 },
      "integer_above_max_value",
      "max_completion_tokens",
    ],
    ["n over the cap", { n: 3 }, "integer_above_max_value", "n"],
    [
      "JSON nested too deep",
      `{"model":"petrel-mini","messages":[{"role":"user","content":"x"}],"x":${"[".repeat(40)}${"]".repeat(40)}}`,
      "json_too_deep",
      null,
    ],
  ];
  for (const [name, body, code, param] of cases) {
    it(`${name} → 400 ${code}`, async () => {
      const { app, gateway } = securedApp({ config: { requestLimits: limits } });
      const response = await post(app, bearer(KEYS.alice), typeof body === "string" ? body : chatBody(body));
      expect(response.status).toBe(400);
      expect(await errorOf(response)).toMatchObject({ type: "invalid_request_error", code, param });
      expect(gateway.requests).toHaveLength(0);
    });
  }

  it("a body over the size limit → 413 before the guard reads it", async () => {
    const { app, limiter } = securedApp();
    const response = await post(app, bearer(KEYS.alice), chatBody({ pad: "x".repeat(1_000_001) }));
    expect(response.status).toBe(413);
    expect(await errorOf(response)).toMatchObject({ code: "request_too_large" });
    expect(await limiter.usage("alice")).toMatchObject({ requests: 0 });
  });
});

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
      gateway: { startError: new GatewayError(503, "no backend", "server_error", "backend_unavailable") },
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
    });
  });
});

describe("admin endpoint with a fake gateway", () => {
  it("is 404 without an admin key, 401 for API keys or a wrong admin key, 200 with the admin key", async () => {
    expect(
      (await securedApp({ config: { adminSha256: undefined } }).app.request("/admin/usage")).status,
    ).toBe(404);
    const { app } = securedApp();
    await post(app, bearer(KEYS.alice));
    for (const headers of [{}, bearer(KEYS.alice), bearer(`${KEYS.admin}x`)]) {
      const response = await app.request("/admin/usage", { headers });
      expect(response.status).toBe(401);
      await errorOf(response);
    }
    const list = await app.request("/admin/usage", { headers: bearer(KEYS.admin) });
    expect(list.status).toBe(200);
    const body = await list.json();
    expect(body.data.map((u: { key_id: string }) => u.key_id)).toEqual(["alice", "bob"]);
    expect(body.data[0]).toEqual({
      object: "key.usage",
      key_id: "alice",
      requests: 1,
      rejected_requests: 0,
      prompt_tokens: 5,
      completion_tokens: 2,
      total_tokens: 7,
    });
    const one = await app.request("/admin/usage/bob", { headers: bearer(KEYS.admin) });
    expect(await one.json()).toMatchObject({ key_id: "bob", requests: 0 });
    expect((await app.request("/admin/usage/carol", { headers: bearer(KEYS.admin) })).status).toBe(404);
    for (const secret of SECRETS) expect(JSON.stringify(body)).not.toContain(secret);
  });
});
