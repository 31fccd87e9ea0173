// Bytes → server-sent events. Two layers: a streaming UTF-8 decoder (a character split across
// network chunks is held until complete; a leading BOM is dropped) and eventsource-parser, which
// splits lines on LF, CRLF or bare CR (also when "\r" and "\n" arrive in different chunks), drops
// comments, joins multi-line `data` with "\n" and dispatches on a blank line.
import { createParser, type EventSourceMessage } from "eventsource-parser";
import { PetrelError } from "./errors.js";

export interface ServerSentEvent {
  /** `undefined` when the server sent no `event:` field (the default "message" type). */
  event: string | undefined;
  data: string;
  id: string | undefined;
}

/** Guards memory against a server that never ends a line or an event. */
export const MAX_SSE_BUFFER_CHARS = 16 * 1024 * 1024;

export type ByteSource = ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;

/** Decodes a byte stream into events. An unterminated last event is discarded, as the SSE spec says. */
export async function* decodeSSE(source: ByteSource): AsyncGenerator<ServerSentEvent> {
  const decoder = new TextDecoder("utf-8");
  const pending: ServerSentEvent[] = [];
  let failure: Error | undefined;
  const parser = createParser({
    maxBufferSize: MAX_SSE_BUFFER_CHARS,
    onEvent: (message: EventSourceMessage) => {
      pending.push({ event: message.event, data: message.data, id: message.id });
    },
    onError: (error) => {
      // Unknown fields and bad `retry:` values are ignorable per spec; only a blown buffer is fatal.
      if (error.type === "max-buffer-size-exceeded")
        failure = new PetrelError(`SSE stream: ${error.message}`);
    },
  });
  for await (const bytes of iterateBytes(source)) {
    parser.feed(decoder.decode(bytes, { stream: true }));
    if (failure) throw failure;
    yield* pending.splice(0);
  }
  parser.feed(decoder.decode());
  if (failure) throw failure;
  yield* pending.splice(0);
}

/**
 * Reads a ReadableStream through its reader (Safari's streams are not async-iterable) and cancels
 * it when the consumer stops early or `signal` aborts, so the connection is released and the
 * server sees the hang-up.
 */
export async function* iterateBytes(source: ByteSource, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
  if (!isReadableStream(source)) {
    for await (const bytes of source) {
      if (signal?.aborted) return;
      yield bytes;
    }
    return;
  }
  const reader = source.getReader();
  const onAbort = () => void reader.cancel(signal?.reason).catch(() => {});
  signal?.addEventListener("abort", onAbort, { once: true });
  let finished = false;
  try {
    while (!signal?.aborted) {
      const { done, value } = await reader.read();
      if (done) {
        finished = true;
        return;
      }
      if (value?.byteLength) yield value;
    }
  } finally {
    signal?.removeEventListener("abort", onAbort);
    if (!finished) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}

function isReadableStream(source: ByteSource): source is ReadableStream<Uint8Array> {
  return typeof (source as ReadableStream<Uint8Array>).getReader === "function";
}
