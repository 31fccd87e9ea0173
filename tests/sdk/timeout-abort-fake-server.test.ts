// Timeouts, streams that fail before or after their headers, and aborts, against a scripted Node
// server on 127.0.0.1 — a fake, because a hung socket or a dropped stream must happen on cue.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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

describe("fake server: timeouts", () => {
  it("times out a request whose response never comes, retries it, then throws APIConnectionTimeoutError", async () => {
    server.script([{ hang: true }, { hang: true }]);
    const error = await client({ timeout: 200, maxRetries: 1 })
      .chat.completions.create(params)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(APIConnectionTimeoutError);
    expect(error).toBeInstanceOf(APIConnectionError);
    expect(server.seen).toHaveLength(2);
    expect(server.seen[0]?.headers["x-stainless-timeout"]).toBe("0");
  });

  it("a timeout followed by success returns the result", async () => {
    server.script([{ hang: true }, ok]);
    const result = await client().chat.completions.create(params, { timeout: 200 });
    expect(result.id).toBe("chatcmpl-1");
  });

  it("a JSON body that stalls after the headers also times out", async () => {
    const stalled: Step = {
      status: 200,
      headers: { "content-type": "application/json" },
      parts: ['{"id":'],
      gapMs: 0,
    };
    server.script([{ ...stalled, parts: ['{"id":', '"x"}'], gapMs: 2_000 }]);
    const error = await client({ timeout: 200, maxRetries: 0 })
      .models.list()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(APIConnectionTimeoutError);
  });

  it("for streams the timeout covers only the headers: a slow stream still completes", async () => {
    const parts = chatStream("\n").split(/(?<=\n\n)/);
    server.script([{ status: 200, parts, gapMs: 80 }]);
    const stream = await client({ timeout: 200 }).chat.completions.create({ ...params, stream: true });
    const content = await stream.finalContent();
    expect(content).toBe("Héllo 日本 🐦!");
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
