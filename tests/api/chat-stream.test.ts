// SSE framing and the commit point of streamed chat completions, through app.request().
import { describe, expect, it, vi } from "vitest";
import { createApp } from "../../service/src/http/index.js";
import { ApiError } from "../../service/src/protocol/errors.js";
import { assertResponseMatchesContract, sseData } from "../helpers/contract.js";
import { fakeGateway } from "../helpers/fake-gateway.js";

const url = "/v1/chat/completions";
const base = { model: "petrel-mini", messages: [{ role: "user", content: "Hi" }], stream: true };

async function stream(app: ReturnType<typeof createApp>, body: unknown) {
  const response = await app.request(url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify(body),
  });
  await assertResponseMatchesContract("POST", url, response);
  const text = await response.text();
  return { response, text, events: sseData(text) };
}

describe("chat completion streams with a fake gateway", () => {
  it("decides streaming from body.stream (not Accept) and frames every event with a blank line", async () => {
    const { response, text, events } = await stream(createApp({ gateway: fakeGateway() }), base);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    expect(response.headers.get("cache-control")).toBe("no-cache");
    expect(text.endsWith("data: [DONE]\n\n")).toBe(true);
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e));
    expect(chunks[0].choices[0].delta).toEqual({ role: "assistant", content: "" });
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? null)).toEqual(["", "Hello", " world", null]);
    expect(chunks.at(-1).choices[0]).toMatchObject({ delta: {}, finish_reason: "stop" });
    expect(new Set(chunks.map((c) => c.id))).toEqual(new Set(["chatcmpl-fake"]));
  });

  it("sends the usage chunk (choices: []) only with stream_options.include_usage", async () => {
    const without = await stream(createApp({ gateway: fakeGateway() }), base);
    expect(without.events.some((e) => e !== "[DONE]" && JSON.parse(e).choices.length === 0)).toBe(false);

    const withUsage = await stream(createApp({ gateway: fakeGateway() }), {
      ...base,
      stream_options: { include_usage: true },
    });
    const usageChunk = JSON.parse(withUsage.events.at(-2) ?? "");
    expect(usageChunk.choices).toEqual([]);
    expect(usageChunk.usage).toEqual({ prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 });
    expect(withUsage.events.at(-1)).toBe("[DONE]");
  });

  it("gives a failure before the first chunk a real HTTP status, not a 200 stream", async () => {
    const startError = new ApiError(503, "all backends down", "server_error", "no_backend", null, {
      retryAfterSeconds: 2,
    });
    const { response, events } = await stream(
      createApp({ gateway: fakeGateway({ startError }), logError: () => {} }),
      base,
    );
    expect(response.status).toBe(503);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    expect(events).toEqual([]);
  });

  it("sends a failure after the commit as data: {error} and still ends with [DONE]", async () => {
    const fail = new ApiError(502, "upstream went away", "server_error", "upstream_error");
    const gateway = fakeGateway({ script: () => [{ text: "Hel" }, { fail }] });
    const { response, events } = await stream(createApp({ gateway }), base);
    expect(response.status).toBe(200);
    expect(JSON.parse(events.at(-2) ?? "")).toEqual({
      error: { message: "upstream went away", type: "server_error", param: null, code: "upstream_error" },
    });
    expect(events.at(-1)).toBe("[DONE]");
  });

  // The window, the heartbeat and the fake gateway's slow start all run on the fake clock.
  async function onFakeClock<T>(ms: number, run: () => Promise<T>): Promise<T> {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance"] });
    try {
      const result = run();
      await vi.advanceTimersByTimeAsync(ms);
      return await result;
    } finally {
      vi.useRealTimers();
    }
  }

  it("commits after the first-chunk window and sends keep-alive comments during a long prefill (fake timers)", async () => {
    const gateway = fakeGateway({ startDelayMs: 500 });
    const app = createApp({ gateway, limits: { firstChunkWindowMs: 20, heartbeatMs: 100 } });
    const { response, text, events } = await onFakeClock(600, () => stream(app, base));
    expect(response.status).toBe(200);
    expect(text.startsWith(": keep-alive\n\n")).toBe(true);
    expect(events.at(-1)).toBe("[DONE]");
  });

  it("reports a pre-first-token failure that comes after the window inside the stream (fake timers)", async () => {
    const startError = new ApiError(504, "first token timed out", "server_error", "timeout");
    const gateway = fakeGateway({ startDelayMs: 100, startError });
    const app = createApp({ gateway, limits: { firstChunkWindowMs: 10, heartbeatMs: 1000 } });
    const { response, events } = await onFakeClock(200, () => stream(app, base));
    expect(response.status).toBe(200);
    expect(JSON.parse(events[0] ?? "").error.code).toBe("timeout");
    expect(events).toHaveLength(2);
  });

  it("aborts the gateway's signal when the client cancels the stream mid-way", async () => {
    const gateway = fakeGateway({ script: () => [{ text: "a" }, { delayMs: 10_000 }, { text: "never" }] });
    const response = await createApp({ gateway }).request(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(base),
    });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    const signal = gateway.contexts[0]?.signal;
    expect(signal?.aborted).toBe(false);
    await reader.cancel();
    await expect.poll(() => signal?.aborted).toBe(true);
  });

  it("passes the request id to the gateway and returns it in x-request-id", async () => {
    const gateway = fakeGateway();
    const response = await createApp({ gateway }).request(url, {
      method: "POST",
      headers: { "content-type": "application/json", "x-request-id": "trace-42" },
      body: JSON.stringify(base),
    });
    await response.text();
    expect(response.headers.get("x-request-id")).toBe("trace-42");
    expect(gateway.contexts[0]?.requestId).toBe("trace-42");
  });
});
