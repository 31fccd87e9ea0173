// How an OpenAI upstream is reached over HTTP: one POST, its status and headers, then its body read
// chunk by chunk. Each runtime hands the gateway the cheapest client it has — `fetch` on Workers
// (and wherever none is given), undici's connection pool on Node (server/undici-transport.ts),
// which skips fetch's Request/Response/web-stream objects on every call.

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface UpstreamRequest {
  method: "POST";
  headers: Record<string, string>;
  body: string;
  /** Aborting it cancels the request, and the body's pending read rejects. */
  signal: AbortSignal;
}

/** The body as a pull source: one read at a time, `{ done: true }` at its end. */
export interface ByteSource {
  read(): Promise<{ done: true; value?: undefined } | { done: false; value: Uint8Array }>;
  /** Stops reading and releases the connection; safe to call more than once. */
  cancel(): void;
  /**
   * The stream said it is finished (`[DONE]`): let what is left of the body go without aborting the
   * request, so its connection can serve the next one. A later cancel() changes nothing.
   */
  release(): void;
}

export interface UpstreamResponse {
  status: number;
  headers: { get(name: string): string | null };
  body: ByteSource;
  /** The whole body as text (error responses). */
  text(): Promise<string>;
}

export type Transport = (url: string, init: UpstreamRequest) => Promise<UpstreamResponse>;

const EMPTY: ByteSource = { read: async () => ({ done: true }), cancel: () => {}, release: () => {} };

/** What release() reads past `[DONE]` before it gives up on the connection and cancels (both transports). */
export const DRAIN_LIMIT_BYTES = 64 * 1024;

/**
 * A web ReadableStream as a ByteSource. release() reads the body to its end rather than cancelling
 * it: a response read to its end leaves its connection to the next request (workerd, like undici,
 * closes the connection of a body cancelled before its end).
 */
export function streamSource(body: ReadableStream<Uint8Array>): ByteSource {
  const reader = body.getReader();
  let released = false;
  const cancel = () => {
    reader.cancel().catch(() => {});
  };
  async function drain() {
    for (let left = DRAIN_LIMIT_BYTES; left > 0; ) {
      const { done, value } = await reader.read();
      if (done) return;
      left -= value.byteLength;
    }
    cancel();
  }
  return {
    read: () => reader.read() as ReturnType<ByteSource["read"]>,
    cancel() {
      if (!released) cancel();
    },
    release() {
      if (released) return;
      released = true;
      drain().catch(() => {});
    },
  };
}

export function fetchTransport(fetchImpl: FetchLike): Transport {
  return async (url, init) => {
    const res = await fetchImpl(url, init);
    let source: ByteSource | undefined;
    return {
      status: res.status,
      headers: res.headers,
      // taken lazily: text() cannot read a stream that a reader has locked
      get body() {
        source ??= res.body ? streamSource(res.body) : EMPTY;
        return source;
      },
      text: () => res.text(),
    };
  };
}
