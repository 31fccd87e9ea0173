// Input gaps from issue 17, point 5, against real processes (the Node gateway in front of a real
// backend server, and the backend server itself): string lengths from the contract with OpenAI's
// 400s and nothing echoed, JSON only (415 otherwise), explicit null wherever OpenAI accepts it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readSse } from "../backends/helpers/processes.js";
import { assertOpenAIError } from "../security/helpers.js";
import { type Started, startEntry } from "./helpers.js";

const running: Started[] = [];
let gateway: Started;
let backend: Started;

beforeAll(async () => {
  backend = await startEntry("service/src/entry/node-backend.ts", [
    ...["--model", "models/tiny-random", "--port", "0", "--threads", "1"],
  ]);
  running.push(backend);
  const config = { models: { "tiny-random": { backends: [{ url: backend.url }] } } };
  gateway = await startEntry("service/src/entry/node-gateway.ts", ["--port", "0"], {
    PETREL_BACKENDS: JSON.stringify(config),
    PETREL_RESPONSES_DB: ":memory:",
  });
  running.push(gateway);
}, 240_000);
afterAll(async () => {
  await Promise.all(running.map((p) => p.stop()));
});

const base = { model: "tiny-random", messages: [{ role: "user", content: "hi" }], max_tokens: 2 };

function post(url: string, body: unknown, contentType = "application/json") {
  return fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": contentType },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

async function errorOf(response: Response) {
  const text = await response.text();
  const body = JSON.parse(text);
  assertOpenAIError(body, `status ${response.status}`);
  return { ...body.error, bytes: text.length };
}

describe("string limits from the contract", () => {
  it("a 500 KB model → 400 string_above_max_length, not a 404 echoing it", async () => {
    const response = await post(gateway.url, { ...base, model: "m".repeat(500_000) });
    expect(response.status).toBe(400);
    const error = await errorOf(response);
    expect(error).toMatchObject({ code: "string_above_max_length", param: "model" });
    expect(error.message).toBe(
      "Invalid 'model': string too long. Expected a string with maximum length 256, but got a string with length 500000 instead.",
    );
    expect(error.bytes).toBeLessThan(1_000);
  });

  it.each([
    ["user", { user: "u".repeat(500_000) }],
    ["messages[0].name", { messages: [{ role: "user", content: "hi", name: "n".repeat(257) }] }],
    ["stop", { stop: "s".repeat(257) }],
    ["stop[1]", { stop: ["ok", "s".repeat(257)] }],
  ])("%s over its limit → 400 naming it", async (param, extra) => {
    const response = await post(gateway.url, { ...base, ...extra });
    expect(response.status).toBe(400);
    expect(await errorOf(response)).toMatchObject({ code: "string_above_max_length", param });
  });
});

describe("content type", () => {
  it.each([
    "text/plain",
    "text/plain;charset=UTF-8",
    "application/x-www-form-urlencoded",
    "multipart/form-data",
  ])("%s → 415 in OpenAI's shape, even with a JSON body", async (type) => {
    const response = await post(gateway.url, base, type);
    expect(response.status).toBe(415);
    expect(await errorOf(response)).toMatchObject({
      type: "invalid_request_error",
      code: "unsupported_media_type",
    });
  });

  it("the Responses API refuses it the same way", async () => {
    const response = await fetch(`${gateway.url}/v1/responses`, {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: JSON.stringify({ model: "tiny-random", input: "hi" }),
    });
    expect(response.status).toBe(415);
    expect(await errorOf(response)).toMatchObject({ code: "unsupported_media_type" });
  });

  it("application/json with a charset is JSON", async () => {
    expect((await post(gateway.url, base, "application/json; charset=utf-8")).status).toBe(200);
  });
});

describe("explicit null where OpenAI accepts it", () => {
  const nulls = {
    ...base,
    messages: [{ role: "user", content: "hi", name: null }],
    user: null,
    tools: null,
    response_format: null,
    stream: true,
    stream_options: { include_usage: null },
  };

  it("through the gateway and straight to the backend server: a normal completion", async () => {
    for (const url of [gateway.url, backend.url]) {
      const response = await post(url, nulls);
      expect(response.status).toBe(200);
      const sse = await readSse(response);
      expect(sse.error).toBeUndefined();
      expect(sse.done).toBe(true);
    }
  });
});
