// POST /v1/chat/completions without streaming, through app.request() with a fake gateway.
import { describe, expect, it } from "vitest";
import { createApp } from "../../service/src/http/index.js";
import { ApiError } from "../../service/src/protocol/errors.js";
import { assertResponseMatchesContract } from "../helpers/contract.js";
import { fakeGateway } from "../helpers/fake-gateway.js";

const url = "/v1/chat/completions";
const user = [{ role: "user", content: "Hi" }];

async function post(app: ReturnType<typeof createApp>, body: unknown, raw?: string) {
  const response = await app.request(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: raw ?? JSON.stringify(body),
  });
  await assertResponseMatchesContract("POST", url, response);
  return { response, json: await response.json() };
}

describe("chat completions (JSON) with a fake gateway", () => {
  it("folds the chunks into one chat.completion with OpenAI's exact shape", async () => {
    const app = createApp({ gateway: fakeGateway() });
    const { response, json } = await post(app, { model: "petrel-mini", messages: user });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    expect(json).toEqual({
      id: "chatcmpl-fake",
      object: "chat.completion",
      created: 1_700_000_000,
      model: "petrel-mini",
      choices: [
        {
          index: 0,
          message: { role: "assistant", content: "Hello world", refusal: null },
          logprobs: null,
          finish_reason: "stop",
        },
      ],
      usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 },
    });
  });

  it("keeps choices apart by index when n > 1", async () => {
    const gateway = fakeGateway({
      script: () => [
        { text: "a", index: 0 },
        { text: "b", index: 1 },
        { text: "c", index: 0 },
        { finish: "length", index: 1 },
        { finish: "stop", index: 0 },
      ],
    });
    const { json } = await post(createApp({ gateway }), { model: "petrel-mini", messages: user, n: 2 });
    expect(json.choices.map((c: { message: { content: string } }) => c.message.content)).toEqual(["ac", "b"]);
    expect(json.choices.map((c: { finish_reason: string }) => c.finish_reason)).toEqual(["stop", "length"]);
  });

  it("passes the validated request to the gateway, unknown OpenAI-only fields included but harmless", async () => {
    const gateway = fakeGateway();
    const body = { model: "petrel-mini", messages: user, store: true, metadata: { a: "b" }, top_k: 5 };
    const { response } = await post(createApp({ gateway }), body);
    expect(response.status).toBe(200);
    expect(gateway.requests[0]).toMatchObject({ top_k: 5 });
  });

  it("answers malformed JSON with 400 invalid_request_error", async () => {
    const { response, json } = await post(
      createApp({ gateway: fakeGateway() }),
      null,
      '{"model": "petrel-mini",',
    );
    expect(response.status).toBe(400);
    expect(json.error).toMatchObject({ type: "invalid_request_error", param: null, code: "invalid_json" });
  });

  it.each([
    [{ messages: user }, "model", "missing_required_parameter"],
    [{ model: "petrel-mini", messages: [] }, "messages", "invalid_value"],
    [
      { model: "petrel-mini", messages: [{ role: "robot", content: "x" }] },
      "messages[0].role",
      "invalid_value",
    ],
    [
      { model: "petrel-mini", messages: [{ role: "tool", content: "x" }] },
      "messages[0].tool_call_id",
      "missing_required_parameter",
    ],
    [
      {
        model: "petrel-mini",
        messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "x" } }] }],
      },
      "messages[0].content[0].type",
      "invalid_value",
    ],
    [{ model: "petrel-mini", messages: user, temperature: 2.5 }, "temperature", "invalid_value"],
    [{ model: "petrel-mini", messages: user, top_logprobs: 21 }, "top_logprobs", "invalid_value"],
    [
      { model: "petrel-mini", messages: user, stop: ["a", "b", "c", "d", "e"] },
      "stop",
      "array_above_max_length",
    ],
    [{ model: "petrel-mini", messages: user, max_tokens: "10" }, "max_tokens", "invalid_type"],
    [
      { model: "petrel-mini", messages: user, response_format: { type: "xml" } },
      "response_format.type",
      "invalid_value",
    ],
    [
      { model: "petrel-mini", messages: user, response_format: { type: "json_schema" } },
      "response_format.json_schema",
      "missing_required_parameter",
    ],
    [
      { model: "petrel-mini", messages: user, tools: [{ type: "function" }] },
      "tools[0].function",
      "missing_required_parameter",
    ],
    [
      { model: "petrel-mini", messages: user, tools: [{ type: "function", function: { name: "a b" } }] },
      "tools[0].function.name",
      "invalid_value",
    ],
    [{ model: "petrel-mini", messages: user, logit_bias: { abc: 1 } }, "logit_bias.abc", "invalid_value"],
  ])("rejects %j with 400 naming param %s", async (body, param, code) => {
    const gateway = fakeGateway();
    const { response, json } = await post(createApp({ gateway }), body);
    expect(response.status).toBe(400);
    expect(json.error).toMatchObject({ type: "invalid_request_error", param, code });
    expect(gateway.requests).toHaveLength(0);
  });

  it("accepts text parts, every role, and null optional fields", async () => {
    const messages = [
      { role: "system", content: "s" },
      { role: "developer", content: [{ type: "text", text: "d" }] },
      {
        role: "user",
        content: [
          { type: "text", text: "u1" },
          { type: "text", text: "u2" },
        ],
      },
      { role: "assistant", content: null, refusal: null },
      {
        role: "assistant",
        content: null,
        tool_calls: [{ id: "call_1", type: "function", function: { name: "f", arguments: "{}" } }],
      },
      { role: "tool", content: "t", tool_call_id: "call_1" },
    ];
    const body = { model: "petrel-mini", messages, temperature: null, stop: null, stream_options: null };
    const { response } = await post(createApp({ gateway: fakeGateway() }), body);
    expect(response.status).toBe(200);
  });

  it("answers an unknown model with 404 model_not_found", async () => {
    const { response, json } = await post(createApp({ gateway: fakeGateway() }), {
      model: "gpt-9",
      messages: user,
    });
    expect(response.status).toBe(404);
    expect(json.error).toMatchObject({ code: "model_not_found", type: "invalid_request_error" });
    expect(json.error.message).toContain("gpt-9");
  });

  it("answers a body over the limit with 413", async () => {
    const app = createApp({ gateway: fakeGateway(), limits: { maxBodyBytes: 200 } });
    const { response, json } = await post(app, {
      model: "petrel-mini",
      messages: [{ role: "user", content: "x".repeat(500) }],
    });
    expect(response.status).toBe(413);
    expect(json.error.code).toBe("request_too_large");
  });

  it("answers a declared Content-Length over the limit with 413 before reading the body", async () => {
    const app = createApp({ gateway: fakeGateway(), limits: { maxBodyBytes: 200 } });
    const body = JSON.stringify({ model: "petrel-mini", messages: [{ role: "user", content: "hi" }] });
    const over = await app.request("/v1/chat/completions", {
      method: "POST",
      headers: { "content-type": "application/json", "content-length": "201" },
      body,
    });
    expect(over.status).toBe(413);
    expect((await over.json()).error.code).toBe("request_too_large");
    const within = await app.request("/v1/chat/completions", {
      method: "POST",
      headers: { "content-type": "application/json", "content-length": String(body.length) },
      body,
    });
    expect(within.status).toBe(200);
  });

  it("maps a gateway error to its status, OpenAI error body and retry-after", async () => {
    const startError = new ApiError(503, "No backend is available", "server_error", "no_backend", null, {
      retryAfterSeconds: 3,
    });
    const { response, json } = await post(
      createApp({ gateway: fakeGateway({ startError }), logError: () => {} }),
      {
        model: "petrel-mini",
        messages: user,
      },
    );
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("3");
    expect(response.headers.get("retry-after-ms")).toBe("3000");
    expect(json).toEqual({
      error: { message: "No backend is available", type: "server_error", param: null, code: "no_backend" },
    });
  });

  it("maps engine errors by name: context length → 400 context_length_exceeded on messages", async () => {
    const err = Object.assign(new Error("This model's maximum context length is 256 tokens."), {
      name: "ContextLengthExceededError",
    });
    const gateway = fakeGateway({ script: () => [{ fail: err }] });
    const { response, json } = await post(createApp({ gateway }), { model: "petrel-mini", messages: user });
    expect(response.status).toBe(400);
    expect(json.error).toMatchObject({ param: "messages", code: "context_length_exceeded" });
  });

  it("hides unexpected errors behind a 500 server_error and logs them", async () => {
    const logged: unknown[] = [];
    const gateway = fakeGateway({ script: () => [{ fail: new TypeError("secret internals") }] });
    const app = createApp({ gateway, logError: (err) => logged.push(err) });
    const { response, json } = await post(app, { model: "petrel-mini", messages: user });
    expect(response.status).toBe(500);
    expect(json.error.type).toBe("server_error");
    expect(json.error.message).not.toContain("secret");
    expect(logged).toHaveLength(1);
  });
});
