// The async-iterable Stream users hold. It sits on top of decodeSSE: turns events into JSON items,
// stops at `[DONE]`, throws errors that arrive inside the stream, and owns cancellation — `break`,
// `.abort()` and the caller's AbortSignal all abort one controller, which cancels the HTTP body.
import { APIConnectionError, APIError, APIUserAbortError, PetrelError } from "./errors.js";
import { type ByteSource, decodeSSE, iterateBytes } from "./sse-decoder.js";

export class Stream<Item> implements AsyncIterable<Item> {
  readonly controller: AbortController;
  /** The HTTP response the stream reads, when it came from one. */
  readonly response: Response | undefined;
  #source: () => AsyncIterator<Item>;
  #consumed = false;

  constructor(source: () => AsyncIterator<Item>, controller: AbortController, response?: Response) {
    this.#source = source;
    this.controller = controller;
    this.response = response;
  }

  /** Items from an SSE response body. */
  static fromSSEResponse<Item>(response: Response, controller: AbortController): Stream<Item> {
    return new Stream(() => itemsFromSSE<Item>(response), controller, response);
  }

  /** Items from NDJSON bytes, e.g. what `toReadableStream()` produced on the other side of a network. */
  static fromReadableStream<Item>(readable: ByteSource, controller = new AbortController()): Stream<Item> {
    return new Stream(() => itemsFromNDJSON<Item>(readable, controller.signal), controller);
  }

  /** The server's `x-request-id` for this stream. */
  get requestId(): string | null {
    return this.response?.headers.get("x-request-id") ?? null;
  }

  /** Stops the stream: the body is cancelled and iteration ends without an error. */
  abort(reason?: unknown): void {
    this.controller.abort(reason);
  }

  [Symbol.asyncIterator](): AsyncIterator<Item> {
    if (this.#consumed)
      throw new PetrelError("Cannot iterate over a stream twice; collect the chunks on the first pass.");
    this.#consumed = true;
    return this.#run();
  }

  /** Called for each item before the consumer sees it; subclasses accumulate here. */
  protected onItem(_item: Item): void {}
  /** Called once when the stream ends: `undefined` after a clean end, else why it stopped. */
  protected onEnd(_error: unknown): void {}
  /** What a source's failure becomes: a body that dies mid-stream is a connection failure. */
  protected failure(error: unknown): unknown {
    return error instanceof PetrelError ? error : new APIConnectionError(undefined, { cause: error });
  }

  async *#run(): AsyncGenerator<Item> {
    let ended = false;
    const end = (error: unknown) => {
      if (ended) return;
      ended = true;
      this.onEnd(error);
    };
    const source = this.#source();
    try {
      const signal = this.controller.signal;
      while (!signal.aborted) {
        const next = await source.next();
        // An abort during the consumer's turn stops here, even when the bytes already read hold
        // more events: nothing is delivered after `.abort()` or the caller's signal fired.
        if (next.done || signal.aborted) break;
        this.onItem(next.value);
        yield next.value;
      }
      if (signal.aborted) await source.return?.(undefined).catch(() => {});
      // A source cancelled by the abort can end "cleanly"; it is still an abort, not a completion.
      end(signal.aborted ? new APIUserAbortError() : undefined);
    } catch (error) {
      // Whatever the read fails with after an abort (AbortError, the reason), it means "stopped".
      if (this.controller.signal.aborted) {
        end(new APIUserAbortError());
        return;
      }
      // Never retried: data was delivered.
      const failure = this.failure(error);
      end(failure);
      throw failure;
    } finally {
      if (!ended) {
        // The consumer left early (`break`, `return`): hang up so the server stops generating.
        this.controller.abort();
        end(new APIUserAbortError("Stream was closed before it completed."));
        await source.return?.().catch(() => {});
      }
    }
  }

  /** NDJSON bytes (one JSON item per line), e.g. to return from a server; cancelling it aborts. */
  toReadableStream(): ReadableStream<Uint8Array> {
    const iterator = this[Symbol.asyncIterator]();
    const encoder = new TextEncoder();
    return new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          const next = await iterator.next();
          if (next.done) return controller.close();
          controller.enqueue(encoder.encode(`${JSON.stringify(next.value)}\n`));
        } catch (error) {
          controller.error(error);
        }
      },
      async cancel() {
        await iterator.return?.();
      },
    });
  }
}

/** JSON items from an SSE body; stops at `[DONE]`, throws on error events. */
export async function* itemsFromSSE<Item>(response: Response): AsyncGenerator<Item> {
  if (!response.body) throw new PetrelError("The streaming response has no body.");
  for await (const sse of decodeSSE(response.body)) {
    if (sse.data.startsWith("[DONE]")) return;
    if (sse.data === "") continue; // a bare "data:" line carries nothing to parse
    // Named events other than "error" are not part of the chat protocol; skip them for forward compat.
    if (sse.event !== undefined && sse.event !== "message" && sse.event !== "error") continue;
    if (sse.event === "error") throw streamError(sse.data, response.headers);
    const data = parseJSON(sse.data);
    if (isObject(data) && data.error !== undefined) throw streamError(data, response.headers);
    yield data as Item;
  }
}

/** An error event inside a 200 stream: no HTTP status, but code/type/param/requestId as usual. */
function streamError(body: unknown, headers: Headers): APIError {
  let parsed = body;
  if (typeof body === "string") {
    try {
      parsed = JSON.parse(body);
    } catch {
      parsed = body;
    }
  }
  return APIError.generate(undefined, parsed, undefined, headers);
}

async function* itemsFromNDJSON<Item>(readable: ByteSource, signal: AbortSignal): AsyncGenerator<Item> {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const bytes of iterateBytes(readable, signal)) {
    buffer += decoder.decode(bytes, { stream: true });
    const lines = buffer.split("\n");
    buffer = lines.pop() ?? "";
    for (const line of lines) if (line.trim()) yield parseJSON(line) as Item;
  }
  buffer += decoder.decode();
  if (buffer.trim()) yield parseJSON(buffer) as Item;
}

function parseJSON(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new PetrelError(`Could not parse a stream event as JSON: ${text.slice(0, 200)}`);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}
