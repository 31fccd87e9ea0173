// The stream's commit point in real workerd, with the gateway in front of a FAKE upstream (the only
// way to fail at a chosen moment): a failure inside the first-chunk window gets a real HTTP status;
// one after it arrives in a committed 200 stream as `data: {"error"}` + `data: [DONE]`, which the
// official SDK raises as an APIError. Responses are validated against openapi.yaml.
import OpenAI, { APIError, InternalServerError } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeUpstream, startFakeUpstream } from "../backends/helpers/fake-upstream.js";
import { assertResponseMatchesContract, sseData } from "../helpers/contract.js";
import { type RunningWrangler, startWrangler } from "../helpers/wrangler.js";

let upstream: FakeUpstream;
let worker: RunningWrangler;

beforeAll(async () => {
  upstream = await startFakeUpstream();
  const config = {
    // firstTokenMs beyond the HTTP layer's 2 s window, so a stall commits 200 before it fails.
    timeouts: { connectMs: 5_000, firstTokenMs: 3_500, idleMs: 5_000, totalMs: 30_000 },
    retry: { maxAttempts: 1 },
    circuit: { failureThreshold: 1_000 },
    health: { intervalMs: 600_000 },
    models: { scripted: { backends: [{ id: "fake", url: upstream.url, kind: "vllm" }] } },
  };
  worker = await startWrangler({ vars: { PETREL_BACKENDS: JSON.stringify(config) } });
});
afterAll(async () => {
  await worker?.stop();
  await upstream?.close();
});

const streamBody = { model: "scripted", messages: [{ role: "user" as const, content: "hi" }], stream: true };
const post = () =>
  fetch(`${worker.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(streamBody),
  });

describe("stream commit point in workerd (fake upstream)", () => {
  it("an upstream failure before the first chunk is a real 503 with retry-after, not a stream", async () => {
    upstream.script = [{ kind: "status", status: 503, retryAfter: "2" }];
    const response = await post();
    await assertResponseMatchesContract("POST", "/v1/chat/completions", response);
    expect(response.status).toBe(503);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    expect((await response.json()).error.type).toBeTypeOf("string");
  });

  it("a stall past the window commits 200, then sends data: {error} and data: [DONE]", async () => {
    upstream.script = [{ kind: "stall-before-first" }];
    const response = await post();
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    await assertResponseMatchesContract("POST", "/v1/chat/completions", response);
    const events = sseData(await response.text());
    expect(events).toHaveLength(2);
    expect(JSON.parse(events[0] ?? "{}").error.message).toBeTypeOf("string");
    expect(events[1]).toBe("[DONE]");
  });

  it("the official SDK raises that in-stream error as an APIError (not a retryable status)", async () => {
    upstream.script = [{ kind: "stall-before-first" }];
    const client = new OpenAI({ baseURL: `${worker.url}/v1`, apiKey: "sk-local", maxRetries: 0 });
    const stream = await client.chat.completions.create({ ...streamBody, stream: true });
    const error = await (async () => {
      for await (const _chunk of stream) {
        // no chunk arrives before the error event
      }
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(APIError);
    expect(error).not.toBeInstanceOf(InternalServerError);
  });
});
