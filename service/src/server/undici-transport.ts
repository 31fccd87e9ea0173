// The Node gateway's upstream client: undici's connection pool (an Agent: keep-alive sockets per
// origin) driven through its dispatcher, the level below request() and fetch(). The response's
// status and headers arrive in one callback and its bytes in another, straight into a small queue
// that the gateway pulls from: no Readable stream, no Request/Response/ReadableStream objects, no
// AsyncResource per call. The gateway keeps its own timeouts (connect, first token, idle, total), so
// undici's are off.
import { Agent, type Dispatcher } from "undici";
import {
  type ByteSource,
  DRAIN_LIMIT_BYTES,
  type Transport,
  type UpstreamResponse,
} from "../gateway/index.js";

/** Unread bytes above which undici stops reading the socket until the gateway catches up. */
const HIGH_WATER_BYTES = 64 * 1024;

type Controller = Dispatcher.DispatchController;
type Headers = Record<string, string | string[] | undefined>;

/**
 * One upstream exchange as undici's handler: resolves `response` at the headers, then queues the
 * body's chunks for read(). A failure before the headers rejects `response`; after them it rejects
 * the read that finds the queue empty.
 */
export class UpstreamExchange implements ByteSource {
  readonly response: Promise<UpstreamResponse>;
  #resolve!: (r: UpstreamResponse) => void;
  #reject!: (err: Error) => void;
  #controller: Controller | undefined;
  #chunks: Buffer[] = [];
  #queued = 0;
  #ended = false;
  #failure: Error | undefined;
  #released = false;
  #drained = 0;
  #wake: (() => void) | undefined;
  #started = false;
  #unlisten: (() => void) | undefined;

  constructor(signal?: AbortSignal) {
    this.response = new Promise<UpstreamResponse>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    if (!signal) return;
    if (signal.aborted) {
      this.#fail(reasonOf(signal)); // the dispatcher aborts it when it starts
      return;
    }
    const onAbort = () => {
      const reason = reasonOf(signal);
      this.#fail(reason);
      this.#controller?.abort(reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    this.#unlisten = () => signal.removeEventListener("abort", onAbort);
  }

  onRequestStart(controller: Controller): void {
    this.#controller = controller;
    if (this.#failure) controller.abort(this.#failure);
  }

  onResponseStart(_controller: Controller, status: number, headers: Headers): void {
    if (status < 200 || this.#failure) return; // 1xx: informational, the real answer follows
    this.#started = true;
    this.#resolve({
      status,
      headers: {
        get(name) {
          const v = headers[name];
          return v === undefined ? null : Array.isArray(v) ? v.join(", ") : v;
        },
      },
      body: this,
      text: () => this.#text(),
    });
  }

  onResponseData(controller: Controller, chunk: Buffer): void {
    if (this.#released) {
      this.#drained += chunk.length;
      if (this.#drained > DRAIN_LIMIT_BYTES) controller.abort(new Error("upstream body too long to drain"));
      return;
    }
    this.#chunks.push(chunk);
    this.#queued += chunk.length;
    if (this.#queued > HIGH_WATER_BYTES) controller.pause();
    this.#signal();
  }

  onResponseEnd(): void {
    this.#ended = true;
    this.#unlisten?.();
    this.#signal();
  }

  onResponseError(_controller: Controller | null, err: Error): void {
    this.#unlisten?.();
    this.#fail(err);
  }

  async read(): Promise<{ done: true } | { done: false; value: Uint8Array }> {
    for (;;) {
      const chunk = this.#chunks.shift();
      if (chunk) {
        this.#queued -= chunk.length;
        if (this.#queued <= HIGH_WATER_BYTES) this.#controller?.resume();
        return { done: false, value: chunk };
      }
      if (this.#failure) throw this.#failure;
      if (this.#ended) return { done: true };
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }

  cancel(): void {
    if (this.#released || this.#ended || this.#failure) return;
    const reason = new Error("upstream body closed");
    this.#fail(reason);
    this.#controller?.abort(reason);
  }

  release(): void {
    if (this.#released) return;
    this.#released = true;
    // What is left is read and dropped (up to the limit): a finished response keeps its socket.
    this.#chunks = [];
    this.#queued = 0;
    this.#controller?.resume();
  }

  #fail(err: Error): void {
    this.#failure ??= err;
    if (!this.#started) this.#reject(this.#failure);
    this.#signal();
  }

  #signal(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  async #text(): Promise<string> {
    const parts: Buffer[] = [];
    for (let r = await this.read(); !r.done; r = await this.read()) parts.push(r.value as Buffer);
    return Buffer.concat(parts).toString("utf8");
  }
}

function reasonOf(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new Error("request aborted", { cause: reason });
}

export function undiciTransport(agent = new Agent({ headersTimeout: 0, bodyTimeout: 0 })): Transport {
  const targets = new Map<string, { origin: string; path: string }>();
  const target = (url: string) => {
    let t = targets.get(url);
    if (!t) {
      const u = new URL(url);
      t = { origin: u.origin, path: `${u.pathname}${u.search}` };
      targets.set(url, t);
    }
    return t;
  };
  return (url, { method, headers, body, signal }) => {
    if (signal.aborted) return Promise.reject(reasonOf(signal));
    const { origin, path } = target(url);
    const exchange = new UpstreamExchange(signal);
    // A synchronous failure (a closed agent) reaches onResponseError, which rejects the response.
    agent.dispatch({ origin, path, method, headers, body }, exchange);
    return exchange.response;
  };
}
