// Upstream SSE → chat.completion.chunk objects, through eventsource-parser (a kept library, per the
// spec: comments, CRLF/CR line ends, multi-line data, BOM). Bytes are decoded with a streaming
// TextDecoder so a UTF-8 character split across network reads is never mangled. Every read is
// bounded by a deadline so a stalled upstream becomes an error, never a hang.

import { createParser, type EventSourceMessage } from "eventsource-parser";
import { ApiError } from "../protocol/errors.js";
import type { ChatCompletionChunkChoice } from "../protocol/wire.js";
import { type GatewayClock, realClock } from "./clock.js";
import type { ByteSource } from "./transport.js";
import type { ChatCompletionChunk } from "./types.js";
import { upstreamStreamError } from "./upstream-errors.js";

/** One event can't be larger than this; a runaway line is garbage, not a reason to eat memory. */
const MAX_BUFFER_CHARS = 4 * 1024 * 1024;

export const DONE = Symbol("done");

// One decoder for reads that end on a whole character (nearly all): a TextDecoder per stream was a
// visible share of a short request's CPU on Node. A read that ends inside a character gets the
// stream its own streaming decoder, from then on. Neither strips a byte-order mark (each decode of the
// shared one starts afresh, and would drop one at any read's start): eventsource-parser strips the
// stream's leading one.
const utf8 = { ignoreBOM: true };
const shared = new TextDecoder("utf-8", utf8);

/** True when `bytes` ends inside a UTF-8 sequence (a lead byte whose continuation bytes are missing). */
export function endsMidCharacter(bytes: Uint8Array): boolean {
  const n = bytes.length;
  for (let back = 1; back <= 3 && back <= n; back++) {
    const b = bytes[n - back] as number;
    if (b < 0x80) return false; // ASCII: complete
    if (b >= 0xc0) {
      // a lead byte: it needs 1, 2 or 3 continuation bytes after it
      const needs = b >= 0xf0 ? 3 : b >= 0xe0 ? 2 : 1;
      return back - 1 < needs;
    }
  }
  return false; // only continuation bytes: malformed or complete, either way nothing to carry
}

export class SseChunkReader {
  private decoder: TextDecoder | undefined;
  private readonly parser;
  private readonly events: EventSourceMessage[] = [];
  private parseError: string | undefined;
  private ended = false;
  private sawDone = false;
  private received = false;

  constructor(
    private readonly body: ByteSource,
    private readonly backendId: string,
    private readonly publicModel: string,
    private readonly clock: GatewayClock = realClock,
  ) {
    this.parser = createParser({
      maxBufferSize: MAX_BUFFER_CHARS,
      onEvent: (event) => this.events.push(event),
      onError: (error) => {
        this.parseError ??= error.message;
      },
    });
  }

  /**
   * The next chunk, or DONE after `[DONE]`. Throws `onTimeout()` if no chunk arrives within
   * `timeoutMs`; keep-alive comments do not count as chunks.
   */
  async next(timeoutMs: number, onTimeout: () => ApiError): Promise<ChatCompletionChunk | typeof DONE> {
    const deadline = this.clock.now() + timeoutMs;
    for (;;) {
      const event = this.events.shift();
      if (event) {
        const chunk = this.decode(event);
        if (chunk) return chunk;
        continue;
      }
      if (this.sawDone) return DONE;
      if (this.parseError) throw this.garbage(this.parseError);
      if (this.ended) {
        throw new ApiError(
          502,
          `Upstream ${this.backendId} closed the stream before [DONE]`,
          "server_error",
          "upstream_stream_truncated",
        );
      }
      await this.readMore(deadline - this.clock.now(), onTimeout);
    }
  }

  /** Waits for the body's first byte (a comment counts); throws `onTimeout()` after `timeoutMs`. */
  async firstByte(timeoutMs: number, onTimeout: () => ApiError): Promise<void> {
    if (!this.received) await this.readMore(timeoutMs, onTimeout);
  }

  /**
   * Chunks received and parsed, not yet handed out. The closing `[DONE]` is not counted: what a
   * stream's end runs (metering, the circuit's verdict) may wait on I/O, and chunks already here
   * must not wait for it.
   */
  get pending(): number {
    const n = this.events.length;
    return n > 0 && this.events[n - 1]?.data.trim() === "[DONE]" ? n - 1 : n;
  }

  /** Stops reading and releases the connection. */
  cancel(): void {
    this.body.cancel();
  }

  private async readMore(remainingMs: number, onTimeout: () => ApiError): Promise<void> {
    if (remainingMs <= 0) throw this.timeout(onTimeout);
    let disarm: (() => void) | undefined;
    const timedOut = new Promise<"timeout">((resolve) => {
      disarm = this.clock.setTimer(() => resolve("timeout"), remainingMs);
    });
    try {
      const result = await Promise.race([this.body.read(), timedOut]);
      if (result === "timeout") throw this.timeout(onTimeout);
      this.received = true;
      if (result.done) {
        this.ended = true;
        // A final event without its blank line ("data: [DONE]" then EOF) still counts.
        this.parser.feed(`${this.decoder?.decode() ?? ""}\n\n`);
      } else {
        this.parser.feed(this.decodeBytes(result.value));
      }
    } finally {
      disarm?.();
    }
  }

  private decodeBytes(bytes: Uint8Array): string {
    if (!this.decoder && !endsMidCharacter(bytes)) return shared.decode(bytes);
    this.decoder ??= new TextDecoder("utf-8", utf8);
    return this.decoder.decode(bytes, { stream: true });
  }

  private timeout(onTimeout: () => ApiError): ApiError {
    this.cancel();
    return onTimeout();
  }

  private garbage(detail: string): ApiError {
    this.cancel();
    return new ApiError(
      502,
      `Upstream ${this.backendId} sent invalid SSE: ${detail}`,
      "server_error",
      "upstream_bad_response",
    );
  }

  private decode(event: EventSourceMessage): ChatCompletionChunk | undefined {
    const data = event.data.trim();
    if (data === "[DONE]") {
      this.sawDone = true;
      this.body.release();
      return undefined;
    }
    if (data === "" && event.event === undefined) return undefined;
    let payload: unknown;
    try {
      payload = JSON.parse(data);
    } catch {
      throw this.garbage(`not JSON: ${JSON.stringify(data.slice(0, 80))}`);
    }
    if (typeof payload !== "object" || payload === null) throw this.garbage("event is not an object");
    const obj = payload as Record<string, unknown>;
    if (obj.error !== undefined || event.event === "error") {
      this.cancel();
      throw upstreamStreamError(this.backendId, payload);
    }
    if (!Array.isArray(obj.choices)) throw this.garbage("chunk without a choices array");
    if (!obj.choices.every(isChoice)) throw this.garbage("a choice without an integer index");
    // The upstream edge: from here the chunk is the wire type, every field the upstream sent kept
    // (tool-call deltas, finish_reason, logprobs, extensions). Upstreams serve under their own model
    // name; clients see the public id they asked for. The object was just parsed and is nobody
    // else's: its fields are set in place (no copy per chunk), keeping the upstream's key order.
    if (typeof obj.id !== "string") obj.id = "";
    obj.object = "chat.completion.chunk";
    if (typeof obj.created !== "number") obj.created = Math.floor(Date.now() / 1000);
    obj.model = this.publicModel;
    return obj as unknown as ChatCompletionChunk;
  }
}

const isChoice = (c: unknown): c is ChatCompletionChunkChoice =>
  typeof c === "object" && c !== null && Number.isInteger((c as { index?: unknown }).index);

/** True once a chunk carries something the client must see: content, a tool call, a finish, or usage. */
export function isCommitChunk(chunk: ChatCompletionChunk): boolean {
  if (chunk.choices.length === 0) return true;
  return chunk.choices.some((choice) => {
    if (choice.finish_reason) return true;
    const delta: Record<string, unknown> = choice.delta ?? {};
    return Object.entries(delta).some(([k, v]) => k !== "role" && v !== null && v !== undefined && v !== "");
  });
}
