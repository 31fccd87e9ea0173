// The guard inside createApp, in-process through app.request() with a fake gateway: auth, model
// access, open/closed modes, request limits and the admin endpoint.
import { describe, expect, it } from "vitest";
import { DEFAULT_REQUEST_LIMITS } from "../../service/src/security/index.js";
import { bearer, chatBody, errorOf, KEYS, post, SECRETS, securedApp } from "./helpers.js";

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
      in_flight: 0,
    });
    const one = await app.request("/admin/usage/bob", { headers: bearer(KEYS.admin) });
    expect(await one.json()).toMatchObject({ key_id: "bob", requests: 0 });
    expect((await app.request("/admin/usage/carol", { headers: bearer(KEYS.admin) })).status).toBe(404);
    for (const secret of SECRETS) expect(JSON.stringify(body)).not.toContain(secret);
  });
});
