// Timeouts, streams that fail before or after their headers, and aborts, against a scripted Node
// server on 127.0.0.1 — a fake, because a hung socket or a dropped stream must happen on cue.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { send, type TransportConfig } from "../../sdk/src/core/transport.js";
import {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIUserAbortError,
  type Petrel,
} from "../../sdk/src/index.js";
import { errorBody, fastError, makeClient, ok, params } from "./fake-responses.js";
import { type ScriptedServer, type Step, startScriptedServer } from "./scripted-server.js";
import { chatStream } from "./sse-fixtures.js";

let server: ScriptedServer;
beforeAll(async () => {
  server = await startScriptedServer();
});
afterAll(() => server.close());

const client = (options: ConstructorParameters<typeof Petrel>[0] = {}) => makeClient(server, options);

/** Yields to real I/O until `check()` holds; the fake clock does not move meanwhile. */
async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setImmediate(r));
}

/** The transport as the client builds it, with its wait between attempts skipped. */
const transport = (timeout: number, maxRetries: number): TransportConfig => ({
  baseURL: server.baseURL,
  apiKey: "sk-test",
  timeout,
  maxRetries,
  fetch: (input, init) => fetch(input, init),
  defaultHeaders: {},
  sleep: async () => {},
});
const create = (config: TransportConfig) =>
  send(config, { method: "POST", path: "/chat/completions", body: params }, ({ response }) =>
    response.json(),
  );

// The attempt timeout is a timer on a fake clock: it fires when the test moves the clock, after the
// request has reached the server, however slow the machine.
describe("fake server: timeouts (fake timers)", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("times out a request whose response never comes with APIConnectionTimeoutError", async () => {
    server.script([{ hang: true }]);
    const pending = client({ timeout: 200, maxRetries: 0 })
      .chat.completions.create(params)
      .catch((e: unknown) => e);
    await until(() => server.seen.length === 1);
    await vi.advanceTimersByTimeAsync(200);
    const error = await pending;
    expect(error).toBeInstanceOf(APIConnectionTimeoutError);
    expect(error).toBeInstanceOf(APIConnectionError);
    expect(server.seen[0]?.headers["x-stainless-timeout"]).toBe("0");
  });

  it("retries a timed-out request, then throws APIConnectionTimeoutError", async () => {
    server.script([{ hang: true }, { hang: true }]);
    const pending = create(transport(200, 1)).catch((e: unknown) => e);
    await until(() => server.seen.length === 1);
    await vi.advanceTimersByTimeAsync(200);
    await until(() => server.seen.length === 2);
    await vi.advanceTimersByTimeAsync(200);
    expect(await pending).toBeInstanceOf(APIConnectionTimeoutError);
    expect(server.seen).toHaveLength(2);
  });

  it("a timeout followed by success returns the result", async () => {
    server.script([{ hang: true }, ok]);
    const pending = create(transport(200, 1));
    await until(() => server.seen.length === 1);
    await vi.advanceTimersByTimeAsync(200);
    await expect(pending).resolves.toMatchObject({ id: "chatcmpl-1" });
    expect(server.seen).toHaveLength(2);
  });

  it("a JSON body that stalls after the headers also times out", async () => {
    // held after its first part and never released: only the client's timeout can end it
    const stalled: Step = {
      status: 200,
      headers: { "content-type": "application/json" },
      parts: ['{"id":', '"x"}'],
      holdAfter: 1,
    };
    server.script([stalled]);
    const pending = client({ timeout: 200, maxRetries: 0 })
      .models.list()
      .catch((e: unknown) => e);
    await until(() => server.seen.length === 1);
    await vi.advanceTimersByTimeAsync(200);
    expect(await pending).toBeInstanceOf(APIConnectionTimeoutError);
  });

  it("for streams the timeout covers only the headers: a stream held past it still completes", async () => {
    const parts = chatStream("\n").split(/(?<=\n\n)/);
    server.script([{ status: 200, parts, holdAfter: 1 }]);
    const stream = await client({ timeout: 200 }).chat.completions.create({ ...params, stream: true });
    await vi.advanceTimersByTimeAsync(2_000); // ten timeouts' worth while the body is held
    server.release();
    expect(await stream.finalContent()).toBe("Héllo 日本 🐦!");
  });
});

describe("fake server: streams and aborts", () => {
  it("retries a stream that failed before its headers", async () => {
    server.script([fastError(503), { status: 200, parts: [chatStream("\n")] }]);
    const stream = await client().chat.completions.create({ ...params, stream: true });
    expect(await stream.finalContent()).toBe("Héllo 日本 🐦!");
    expect(server.seen).toHaveLength(2);
  });

  it("never retries once a stream delivered data: a mid-stream drop throws APIConnectionError", async () => {
    const first = chatStream("\n")
      .split(/(?<=\n\n)/)
      .slice(0, 3)
      .join("");
    server.script([
      { status: 200, parts: [first], dropAfter: true },
      { status: 200, parts: [chatStream("\n")] },
    ]);
    const stream = await client().chat.completions.create({ ...params, stream: true });
    const got: string[] = [];
    const error = await (async () => {
      for await (const chunk of stream) got.push(chunk.choices[0]?.delta.content ?? "");
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(APIConnectionError);
    expect(got).toEqual(["", "Héllo"]);
    expect(server.seen).toHaveLength(1);
    await expect(stream.finalChatCompletion()).rejects.toBeInstanceOf(APIConnectionError);
  });

  it("an AbortSignal aborts a pending request without retrying", async () => {
    server.script([{ hang: true }, ok]);
    const controller = new AbortController();
    const pending = client().chat.completions.create(params, { signal: controller.signal });
    while (server.seen.length === 0) await new Promise((r) => setTimeout(r, 10));
    controller.abort();
    await expect(pending).rejects.toBeInstanceOf(APIUserAbortError);
    expect(server.seen).toHaveLength(1);
  });

  it("an AbortSignal aborts the wait between retries", async () => {
    server.script([{ status: 503, headers: { "retry-after": "30" }, body: errorBody("busy") }, ok]);
    const controller = new AbortController();
    const pending = client().chat.completions.create(params, { signal: controller.signal });
    while (server.seen.length === 0) await new Promise((r) => setTimeout(r, 10));
    controller.abort();
    await expect(pending).rejects.toBeInstanceOf(APIUserAbortError);
    expect(server.seen).toHaveLength(1);
  });
});
