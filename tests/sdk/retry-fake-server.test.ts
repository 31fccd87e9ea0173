// Retries against a scripted Node server on 127.0.0.1 — a fake, because the faults (500 then 200,
// a dropped socket, x-should-retry) must happen exactly on cue. Also headers and the fetch option.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { send, type TransportConfig } from "../../sdk/src/core/transport.js";
import {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  AuthenticationError,
  BadRequestError,
  ConflictError,
  InternalServerError,
  NotFoundError,
  PermissionDeniedError,
  type Petrel,
  RateLimitError,
  UnprocessableEntityError,
} from "../../sdk/src/index.js";
import { errorBody, fastError, makeClient, ok, params } from "./fake-responses.js";
import { type ScriptedServer, startScriptedServer } from "./scripted-server.js";

let server: ScriptedServer;
beforeAll(async () => {
  server = await startScriptedServer();
});
afterAll(() => server.close());

const client = (options: ConstructorParameters<typeof Petrel>[0] = {}) => makeClient(server, options);

describe("fake server: retries", () => {
  for (const status of [408, 409, 429, 500, 502, 503]) {
    it(`retries ${status} and succeeds, counting attempts in x-stainless-retry-count`, async () => {
      server.script([fastError(status), fastError(status), ok]);
      const result = await client().chat.completions.create(params);
      expect(result.choices[0]?.message.content).toBe("hi");
      expect(result._request_id).toBe("req_ok");
      expect(server.seen.map((r) => r.headers["x-stainless-retry-count"])).toEqual(["0", "1", "2"]);
    });
  }

  const noRetry: [number, new (...a: never[]) => APIError][] = [
    [400, BadRequestError],
    [401, AuthenticationError],
    [403, PermissionDeniedError],
    [404, NotFoundError],
    [422, UnprocessableEntityError],
  ];
  for (const [status, ErrorClass] of noRetry) {
    it(`does not retry ${status}; throws ${ErrorClass.name} with the body's fields`, async () => {
      server.script([fastError(status), ok]);
      const error = await client()
        .chat.completions.create(params)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ErrorClass);
      expect(error).toBeInstanceOf(APIError);
      const e = error as APIError;
      expect([e.status, e.code, e.param, e.type, e.requestId]).toEqual([
        status,
        String(status),
        "p",
        "t",
        `req_${status}`,
      ]);
      expect(e.headers?.get("retry-after-ms")).toBe("1");
      expect(e.message).toBe(`${status} failed: ${status}`);
      expect(server.seen).toHaveLength(1);
    });
  }

  it("gives up after maxRetries and throws the last error's class", async () => {
    server.script([fastError(429), fastError(429), fastError(503)]);
    const error = await client()
      .chat.completions.create(params)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InternalServerError);
    expect((error as APIError).status).toBe(503);
    expect(server.seen).toHaveLength(3);
  });

  it("a 429 that outlasts the retries throws RateLimitError after 1 + maxRetries attempts", async () => {
    server.script([fastError(429), fastError(429), fastError(429), ok]);
    const error = await client()
      .chat.completions.create(params)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitError);
    expect(server.seen).toHaveLength(3);
  });

  it("per-request maxRetries: 0 overrides the client", async () => {
    server.script([fastError(409), ok]);
    const error = await client()
      .chat.completions.create(params, { maxRetries: 0 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect(server.seen).toHaveLength(1);
    server.script([fastError(409), ok]);
    await expect(client().withOptions({ maxRetries: 0 }).models.list()).rejects.toBeInstanceOf(ConflictError);
    expect(server.seen).toHaveLength(1);
  });

  it("x-should-retry: false stops a retry; x-should-retry: true forces one", async () => {
    server.script([fastError(500, { "x-should-retry": "false" }), ok]);
    await expect(client().chat.completions.create(params)).rejects.toBeInstanceOf(InternalServerError);
    expect(server.seen).toHaveLength(1);
    server.script([fastError(400, { "x-should-retry": "true" }), ok]);
    await expect(client().chat.completions.create(params)).resolves.toMatchObject({ id: "chatcmpl-1" });
    expect(server.seen).toHaveLength(2);
  });

  it("honours retry-after (seconds) and retry-after-ms: waits what the server asked, then retries", async () => {
    // The transport's wait is recorded instead of slept: how long, and how many requests came before.
    const waits: { ms: number; requestsBefore: number }[] = [];
    const config: TransportConfig = {
      baseURL: server.baseURL,
      apiKey: "sk-test",
      timeout: 10_000,
      maxRetries: 2,
      fetch: (input, init) => fetch(input, init),
      defaultHeaders: {},
      sleep: async (ms) => {
        waits.push({ ms, requestsBefore: server.seen.length });
      },
    };
    const create = () =>
      send(config, { method: "POST", path: "/chat/completions", body: params }, ({ response }) =>
        response.json(),
      );
    server.script([{ status: 429, headers: { "retry-after": "1" }, body: errorBody("rate") }, ok]);
    await expect(create()).resolves.toMatchObject({ id: "chatcmpl-1" });
    expect(waits).toEqual([{ ms: 1000, requestsBefore: 1 }]);
    expect(server.seen).toHaveLength(2);
    server.script([{ status: 503, headers: { "retry-after-ms": "300" }, body: errorBody("busy") }, ok]);
    await expect(create()).resolves.toMatchObject({ id: "chatcmpl-1" });
    expect(waits.at(-1)).toEqual({ ms: 300, requestsBefore: 1 });
    expect(server.seen).toHaveLength(2);
  });

  it("retries a dropped connection, then throws APIConnectionError when drops persist", async () => {
    server.script([{ drop: true }, ok]);
    await expect(client().models.list()).resolves.toMatchObject({ id: "chatcmpl-1" });
    server.script([{ drop: true }, { drop: true }]);
    const error = await client({ maxRetries: 1 })
      .models.list()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(APIConnectionError);
    expect(error).not.toBeInstanceOf(APIConnectionTimeoutError);
    expect(server.seen).toHaveLength(2);
  });

  it("a non-JSON error body becomes the message", async () => {
    server.script([{ status: 502, headers: { "x-should-retry": "false" }, body: "Bad gateway from proxy" }]);
    const error = (await client()
      .models.list()
      .catch((e: unknown) => e)) as APIError;
    expect(error).toBeInstanceOf(InternalServerError);
    expect(error.message).toBe("502 Bad gateway from proxy");
    expect(error.code).toBeNull();
  });
});

describe("fake server: headers and fetch option", () => {
  it("sends auth, defaultHeaders and per-request headers; null removes a header; uses the given fetch", async () => {
    const calls: string[] = [];
    const petrel = client({
      defaultHeaders: { "x-team": "birds", "x-stainless-timeout": null },
      fetch: (input, init) => {
        calls.push(String(input));
        return fetch(input, init);
      },
    });
    server.script([ok]);
    await petrel.chat.completions.create(params, { headers: { "x-team": "gulls", "x-trace": "1" } });
    const seen = server.seen[0];
    expect(calls).toEqual([`${server.baseURL}/chat/completions`]);
    expect(seen?.headers.authorization).toBe("Bearer sk-test");
    expect(seen?.headers["x-team"]).toBe("gulls");
    expect(seen?.headers["x-trace"]).toBe("1");
    expect(seen?.headers["x-stainless-timeout"]).toBeUndefined();
    expect(seen?.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(seen?.body ?? "")).toEqual(params);
  });

  it("withResponse() exposes the Response and request id", async () => {
    server.script([ok]);
    const { data, response, requestId } = await client().models.retrieve("a/b").withResponse();
    expect(data.id).toBe("chatcmpl-1");
    expect(response.status).toBe(200);
    expect(requestId).toBe("req_ok");
    expect(server.seen[0]?.url).toBe("/v1/models/a%2Fb");
    server.script([ok]);
    const raw = await client().models.list().asResponse();
    expect([raw.status, raw.headers.get("x-request-id")]).toEqual([200, "req_ok"]);
  });
});
