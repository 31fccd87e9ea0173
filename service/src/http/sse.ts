// The SSE writer for chat completion streams (reference: openai-contract.md §2 and §7).
// One `data: <json>\n\n` event per chunk, `: keep-alive` comments while waiting, mid-stream failures as
// `data: {"error": …}`, always `data: [DONE]` last, and a client that goes away aborts generation.
import type { ChatCompletionChunk } from "../gateway/types.js";
import { toErrorResponse } from "./errors.js";

export interface StartedStream {
  iterator: AsyncIterator<ChatCompletionChunk>;
  first: IteratorResult<ChatCompletionChunk>;
}

export interface SseOptions {
  /** Resolves with the stream and its first chunk; may still be pending when headers go out. */
  started: Promise<StartedStream>;
  includeUsage: boolean;
  heartbeatMs: number;
  /** Aborted here when the client disconnects; the backend watches its signal. */
  abort: AbortController;
}

const encoder = new TextEncoder();
export const sseEvent = (data: string) => encoder.encode(`data: ${data}\n\n`);
const KEEP_ALIVE = encoder.encode(": keep-alive\n\n");

/** The usage chunk (choices: []) is sent only when the client asked for it. */
export const isUsageChunk = (chunk: ChatCompletionChunk) =>
  chunk.choices.length === 0 && chunk.usage !== null && chunk.usage !== undefined;

export const SSE_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache",
  // Tells nginx-style proxies not to buffer the stream.
  "x-accel-buffering": "no",
};

export function sseBody(options: SseOptions): ReadableStream<Uint8Array> {
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
  const writer = writable.getWriter();
  // The readable side is cancelled when the client disconnects (workerd and Node alike).
  writer.closed.catch(() => options.abort.abort(new Error("client disconnected")));
  void pump(writer, options);
  return readable;
}

async function pump(writer: WritableStreamDefaultWriter<Uint8Array>, options: SseOptions) {
  const { abort } = options;
  let iterator: AsyncIterator<ChatCompletionChunk> | undefined;
  const write = (bytes: Uint8Array) => (abort.signal.aborted ? Promise.resolve() : writer.write(bytes));
  const waiting = <T>(promise: Promise<T>) =>
    withHeartbeat(promise, options.heartbeatMs, () => write(KEEP_ALIVE));
  try {
    const started = await waiting(options.started);
    iterator = started.iterator;
    let result = started.first;
    while (!result.done) {
      const chunk = result.value;
      if (options.includeUsage || !isUsageChunk(chunk)) await write(sseEvent(JSON.stringify(chunk)));
      result = await waiting(iterator.next());
    }
    await write(sseEvent("[DONE]"));
  } catch (err) {
    if (!abort.signal.aborted) {
      await write(sseEvent(JSON.stringify(toErrorResponse(err).body))).catch(() => {});
      await write(sseEvent("[DONE]")).catch(() => {});
    }
  } finally {
    if (abort.signal.aborted) await iterator?.return?.().catch(() => {});
    await writer.close().catch(() => {});
  }
}

/** Awaits `promise`, calling `beat` every `intervalMs` until it settles. */
async function withHeartbeat<T>(
  promise: Promise<T>,
  intervalMs: number,
  beat: () => Promise<void>,
): Promise<T> {
  const timer = setInterval(() => {
    beat().catch(() => {});
  }, intervalMs);
  try {
    return await promise;
  } finally {
    clearInterval(timer);
  }
}
