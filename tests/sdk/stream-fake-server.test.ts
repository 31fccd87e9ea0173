// Stream cancellation and collection against a scripted (fake) server that trickles chunks, so a
// test can tell whether the SDK really hung up or really read everything.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { APIUserAbortError, type ChatCompletionChunk, Petrel, Stream } from "../../sdk/src/index.js";
import { type ScriptedServer, startScriptedServer } from "./scripted-server.js";
import { CHAT_DATA, chatStream } from "./sse-fixtures.js";

let server: ScriptedServer;
beforeAll(async () => {
  server = await startScriptedServer();
});
afterAll(() => server.close());

const params = { model: "m", messages: [{ role: "user" as const, content: "hi" }], stream: true as const };
const events = chatStream("\n").split(/(?<=\n\n)/);
/** A long stream: the real chunks, then the content chunk repeated, paced so a hang-up lands mid-way. */
const slow = (gapMs = 30) => ({
  status: 200,
  headers: { "x-request-id": "req_stream" },
  parts: [...events.slice(0, 3), ...Array(200).fill(events[2]), ...events.slice(3)],
  gapMs,
});
const petrel = () => new Petrel({ baseURL: server.baseURL, maxRetries: 0 });

async function waitFor(check: () => boolean) {
  while (!check()) await new Promise((r) => setTimeout(r, 10));
}

describe("fake server: stream cancellation", () => {
  it("break ends iteration and hangs up the connection", async () => {
    server.script([slow()]);
    const stream = await petrel().chat.completions.create(params);
    expect(stream.requestId).toBe("req_stream");
    let n = 0;
    for await (const _ of stream) if (++n === 3) break;
    expect(n).toBe(3);
    await waitFor(() => server.seen[0]?.hungUp === true);
    await expect(stream.finalChatCompletion()).rejects.toBeInstanceOf(APIUserAbortError);
  });

  it(".abort() ends the loop without an error and hangs up", async () => {
    server.script([slow()]);
    const stream = await petrel().chat.completions.create(params);
    let n = 0;
    for await (const _ of stream) if (++n === 2) stream.abort();
    expect(n).toBe(2);
    expect(stream.controller.signal.aborted).toBe(true);
    await waitFor(() => server.seen[0]?.hungUp === true);
  });

  it(".abort() delivers nothing more even when the bytes already read hold more events", async () => {
    // all 200 content chunks in ONE write: after the 2nd the decoder holds the rest, parsed
    server.script([
      {
        status: 200,
        headers: {},
        parts: [[...events.slice(0, 3), ...Array(200).fill(events[2])].join("")],
        gapMs: 0,
      },
    ]);
    const stream = await petrel().chat.completions.create(params);
    let n = 0;
    for await (const _ of stream) if (++n === 2) stream.abort();
    expect(n).toBe(2);
    await expect(stream.finalChatCompletion()).rejects.toBeInstanceOf(APIUserAbortError);
  });

  it("the request's AbortSignal stops a stream that is being read", async () => {
    server.script([slow()]);
    const controller = new AbortController();
    const stream = await petrel().chat.completions.create(params, { signal: controller.signal });
    const final = stream.finalChatCompletion();
    await waitFor(() => server.seen.length === 1);
    controller.abort();
    await expect(final).rejects.toBeInstanceOf(APIUserAbortError);
    await waitFor(() => server.seen[0]?.hungUp === true);
  });
});

describe("fake server: collecting a stream", () => {
  it("stream() asks for usage; finalChatCompletion() assembles content, finish reason and usage", async () => {
    server.script([{ status: 200, parts: events }]);
    const stream = await petrel().chat.completions.stream({ model: "m", messages: params.messages });
    const completion = await stream.finalChatCompletion();
    expect(JSON.parse(server.seen[0]?.body ?? "")).toMatchObject({
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(completion).toEqual({
      id: "chatcmpl-1",
      object: "chat.completion",
      created: 1694268190,
      model: "petrel-mini",
      choices: [
        {
          index: 0,
          message: { role: "assistant", content: "Héllo 日本 🐦!", refusal: null },
          finish_reason: "stop",
          logprobs: null,
        },
      ],
      usage: { prompt_tokens: 9, completion_tokens: 3, total_tokens: 12 },
    });
    expect(await stream.totalUsage()).toEqual({ prompt_tokens: 9, completion_tokens: 3, total_tokens: 12 });
  });

  it("finalMessage() while a loop reads the same stream resolves when the loop finishes", async () => {
    server.script([{ status: 200, parts: events, gapMs: 5 }]);
    const stream = await petrel().chat.completions.create(params);
    const seen: ChatCompletionChunk[] = [];
    for await (const chunk of stream) seen.push(chunk);
    expect(seen).toHaveLength(CHAT_DATA.length);
    expect((await stream.finalMessage()).content).toBe("Héllo 日本 🐦!");
  });

  it("toReadableStream() → Stream.fromReadableStream() carries the same chunks (NDJSON)", async () => {
    server.script([{ status: 200, parts: events }]);
    const stream = await petrel().chat.completions.create(params);
    const bytes = stream.toReadableStream();
    const text = await new Response(bytes.pipeThrough(new TransformStream())).text();
    expect(text.split("\n").filter(Boolean)).toHaveLength(CHAT_DATA.length);
    const again = Stream.fromReadableStream<ChatCompletionChunk>(new Response(text).body as ReadableStream);
    const chunks = [];
    for await (const chunk of again) chunks.push(chunk);
    expect(chunks).toEqual(CHAT_DATA.map((d) => JSON.parse(d)));
  });

  it("cancelling toReadableStream() hangs up the upstream", async () => {
    server.script([slow()]);
    const stream = await petrel().chat.completions.create(params);
    const reader = stream.toReadableStream().getReader();
    await reader.read();
    await reader.cancel();
    await waitFor(() => server.seen[0]?.hungUp === true);
    expect(stream.controller.signal.aborted).toBe(true);
  });

  it("a stream that ends without a finish reason cannot be finalised", async () => {
    server.script([{ status: 200, parts: [...events.slice(0, 3), "data: [DONE]\n\n"] }]);
    const stream = await petrel().chat.completions.create(params);
    await expect(stream.finalChatCompletion()).rejects.toThrow(/missing finish_reason/);
  });
});

describe("NDJSON streams over an in-memory body", () => {
  /** An endless NDJSON source that records whether it was cancelled. */
  function endless() {
    const state = { cancelled: false, pulls: 0 };
    const readable = new ReadableStream<Uint8Array>({
      async pull(controller) {
        state.pulls++;
        await new Promise((r) => setTimeout(r, 5));
        controller.enqueue(new TextEncoder().encode(`{"n":${state.pulls}}\n`));
      },
      cancel() {
        state.cancelled = true;
      },
    });
    return { readable, state };
  }

  it("break cancels the source", async () => {
    const { readable, state } = endless();
    const got: unknown[] = [];
    for await (const item of Stream.fromReadableStream<{ n: number }>(readable)) {
      got.push(item);
      if (got.length === 3) break;
    }
    expect(got).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    expect(state.cancelled).toBe(true);
  });

  it(".abort() from outside ends a pending loop quietly and cancels the source", async () => {
    const { readable, state } = endless();
    const stream = Stream.fromReadableStream<{ n: number }>(readable);
    let count = 0;
    const loop = (async () => {
      for await (const _ of stream) count++;
    })();
    await waitFor(() => count >= 2);
    stream.abort();
    await loop;
    expect(state.cancelled).toBe(true);
    expect(count).toBeGreaterThanOrEqual(2);
  });
});
