// Models, health, the contract itself, docs, CORS, auth and unknown routes, via app.request().
import { describe, expect, it } from "vitest";
import { createApp, DOCS_SCRIPT_PATH } from "../../service/src/http/index.js";
import { createGuard, memoryLimiter } from "../../service/src/security/index.js";
import { assertResponseMatchesContract } from "../helpers/contract.js";
import { fakeGateway } from "../helpers/fake-gateway.js";
import { keyRecord, securityConfig } from "../security/helpers.js";

const app = createApp({ gateway: fakeGateway({ models: ["petrel-mini", "org/other"] }) });

async function get(path: string, init?: RequestInit, target = app) {
  const response = await target.request(path, init);
  return response;
}

describe("routes besides chat", () => {
  it("lists models in OpenAI's list shape", async () => {
    const response = await get("/v1/models");
    await assertResponseMatchesContract("GET", "/v1/models", response);
    expect(await response.json()).toEqual({
      object: "list",
      data: [
        { id: "petrel-mini", object: "model", created: 1_700_000_000, owned_by: "petrel" },
        { id: "org/other", object: "model", created: 1_700_000_000, owned_by: "petrel" },
      ],
    });
  });

  it("retrieves one model, including ids with a slash, and 404s unknown ones", async () => {
    const found = await get("/v1/models/org/other");
    await assertResponseMatchesContract("GET", "/v1/models/org/other", found);
    expect((await found.json()).id).toBe("org/other");
    const missing = await get("/v1/models/nope");
    await assertResponseMatchesContract("GET", "/v1/models/nope", missing);
    expect(missing.status).toBe(404);
    expect((await missing.json()).error.code).toBe("model_not_found");
  });

  it("reports health and serves the contract as JSON", async () => {
    const health = await get("/health");
    await assertResponseMatchesContract("GET", "/health", health);
    expect(await health.json()).toEqual({ status: "ok", models: ["petrel-mini", "org/other"] });
    const spec = await get("/openapi.json");
    await assertResponseMatchesContract("GET", "/openapi.json", spec);
    const document = await spec.json();
    expect(document.openapi).toBe("3.1.0");
    expect(Object.keys(document.paths)).toContain("/v1/chat/completions");
  });

  it("renders the API reference at /docs with the renderer's script from this origin, no CDN", async () => {
    const docs = await get("/docs");
    expect(docs.status).toBe(200);
    expect(docs.headers.get("content-type")).toMatch(/text\/html/);
    const html = await docs.text();
    expect(html).toContain("/openapi.json");
    const scripts = [...html.matchAll(/<script[^>]*\ssrc="([^"]+)"/g)].map((m) => m[1]);
    expect(scripts).toEqual([DOCS_SCRIPT_PATH]);
    expect(html).not.toMatch(/https?:\/\/(cdn|fonts)\./);
  });

  it("answers unknown routes with a 404 in the OpenAI error shape", async () => {
    const response = await get("/v1/embeddings", { method: "POST" });
    expect(response.status).toBe(404);
    expect((await response.json()).error).toMatchObject({
      code: "unknown_url",
      type: "invalid_request_error",
    });
    expect(response.headers.get("x-request-id")).toMatch(/^req_[0-9a-f]{24}$/);
  });

  it("answers a browser preflight with the headers it asked for, whatever the client adds", async () => {
    // The openai SDK's X-Stainless-*, the AI SDK's User-Agent in browsers, a custom defaultHeaders entry.
    const asked = ["authorization", "content-type", "x-stainless-os", "user-agent", "x-my-app-version"];
    const preflight = await get("/v1/chat/completions", {
      method: "OPTIONS",
      headers: {
        origin: "https://example.com",
        "access-control-request-method": "POST",
        "access-control-request-headers": asked.join(", "),
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("*");
    const allowed = (preflight.headers.get("access-control-allow-headers") ?? "").toLowerCase().split(",");
    expect(allowed).toEqual(asked);
    expect(preflight.headers.get("vary")).toMatch(/access-control-request-headers/i);
    const actual = await get("/v1/models", { headers: { origin: "https://example.com" } });
    expect(actual.headers.get("access-control-expose-headers")).toContain("x-request-id");
  });

  it("uses the injected id generator, and ignores unsafe client ids", async () => {
    let n = 0;
    const counted = createApp({ gateway: fakeGateway(), ids: { requestId: () => `req_test_${++n}` } });
    const first = await get("/health", undefined, counted);
    expect(first.headers.get("x-request-id")).toBe("req_test_1");
    const unsafe = await get("/health", { headers: { "x-request-id": "bad id\twith spaces" } }, counted);
    expect(unsafe.headers.get("x-request-id")).toBe("req_test_2");
  });

  it("requires a bearer key on /v1/* when keys are configured, never on /health", async () => {
    const guard = createGuard({
      config: { ...securityConfig(), keys: [keyRecord("right", "sk-right")] },
      limiter: memoryLimiter(),
    });
    const locked = createApp({ gateway: fakeGateway(), guard });
    const none = await get("/v1/models", undefined, locked);
    await assertResponseMatchesContract("GET", "/v1/models", none);
    expect(none.status).toBe(401);
    expect((await none.json()).error.code).toBe("missing_api_key");
    const wrong = await get("/v1/models", { headers: { authorization: "Bearer sk-wrong" } }, locked);
    expect((await wrong.json()).error.code).toBe("invalid_api_key");
    const right = await get("/v1/models", { headers: { authorization: "Bearer sk-right" } }, locked);
    expect(right.status).toBe(200);
    expect((await get("/health", undefined, locked)).status).toBe(200);
  });
});
