// Per-request observability for /v1/*: a trace that the chat route feeds (model, backend, first token,
// usage), a Server-Timing header (queue, ttft, total), and one structured JSON record per request when
// it really ends — for a stream that is when its body finishes or the client goes away, not when the
// headers leave. The record goes to `log` (a JSON line) and `onRecord` (metrics). Prompts are never in
// it unless `logPrompts` is set.
import type { Context, MiddlewareHandler } from "hono";
import type { ChatCompletionChunk, ChatCompletionRequest, ChatStream, Gateway } from "../gateway/types.js";
import type { AppEnv } from "./env.js";
import { keepAlive } from "./owner.js";
import { RequestTrace } from "./request-trace.js";

export { type Outcome, type RequestRecord, RequestTrace } from "./request-trace.js";

import type { RequestRecord } from "./request-trace.js";

export interface ObservabilityOptions {
  /**
   * Where request records go (one JSON line each); default: nowhere. `waitUntil` is the request's
   * (Workers), for a log that writes after the response.
   */
  log?: (record: RequestRecord, waitUntil?: (promise: Promise<unknown>) => void) => void;
  /** Also called with every record (the Node servers feed Prometheus from it). */
  onRecord?: (record: RequestRecord) => void;
  /** Put the request's messages into the record. Off by default: prompts are user data. */
  logPrompts?: boolean;
  /** Monotonic milliseconds; default performance.now. */
  now?: () => number;
}

/** A JSON-lines sink for entries: one line per request on stdout (Workers Logs indexes JSON). */
export const jsonLineLog = (record: RequestRecord) => console.log(JSON.stringify(record));

// Without the guard, a non-secret key id: the first 12 hex digits of the key's SHA-256.
async function keyId(header: string | undefined): Promise<string | null> {
  const token = header && /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim();
  if (!token) return null;
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token));
  const hex = Array.from(new Uint8Array(digest).slice(0, 6), (b) => b.toString(16).padStart(2, "0"));
  return `key_${hex.join("")}`;
}

function setHeader(c: Context<AppEnv>, name: string, value: string) {
  try {
    c.res.headers.set(name, value);
  } catch {
    // Immutable headers (a Response from fetch): copy it once.
    c.res = new Response(c.res.body, c.res);
    c.res.headers.set(name, value);
  }
}

/** Passes the body through and calls `done` once: when it ends (false) or the client cancels (true). */
function watchBody(body: ReadableStream<Uint8Array>, done: (cancelled: boolean) => void) {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done: ended, value } = await reader.read();
        if (!ended) return controller.enqueue(value);
        controller.close();
      } catch (err) {
        controller.error(err);
      }
      done(false);
    },
    cancel(reason) {
      done(true);
      return reader.cancel(reason);
    },
  });
}

export function observability(options: ObservabilityOptions = {}): MiddlewareHandler<AppEnv> {
  const now = options.now ?? (() => performance.now());
  const emit = (c: Context<AppEnv>, record: RequestRecord) => {
    options.log?.(record, (promise) => keepAlive(c, promise));
    options.onRecord?.(record);
  };
  return async function observabilityMiddleware(c, next) {
    if (c.req.method === "OPTIONS") return next();
    const trace = new RequestTrace(now, options.logPrompts === true);
    c.set("trace", trace);
    await next();
    const base = {
      requestId: c.get("requestId") ?? "",
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      // The security guard's key id when it ran (configured names, "anonymous" in open mode); the
      // header's hash only without a guard (a digest per request is not free).
      keyId: c.get("apiKey")?.id ?? (await keyId(c.req.header("authorization"))),
    };
    // Only a stream's body is touched: reading c.res.body turns @hono/node-server's lightweight
    // Response into a full one, whose body it then has to pipe as a web stream.
    const streaming = c.res.headers.get("content-type")?.startsWith("text/event-stream") === true;
    const body = streaming && !trace.reportsBodyEnd ? c.res.body : undefined;
    if (!streaming || body === null) {
      trace.settleFromStatus(c.res.status);
      setHeader(c, "server-timing", trace.serverTiming(false));
      emit(c, trace.record(base));
      return;
    }
    setHeader(c, "server-timing", trace.serverTiming(true));
    let emitted = false;
    const ended = (cancelled: boolean) => {
      if (emitted) return;
      emitted = true;
      trace.settleStream(cancelled);
      emit(c, trace.record(base));
    };
    // The chat route's SSE body says when it ends; any other stream is watched through a wrapper.
    if (!body) return trace.onBodyEnd(ended);
    c.res = new Response(watchBody(body, ended), c.res);
  };
}

/**
 * An error for the log: its message and its cause's. Clients read only the message; the cause keeps
 * what they must not see (an upstream's address in a connect error) for operators.
 */
function errorText(err: unknown): string | null {
  if (!(err instanceof Error)) return err === undefined ? null : String(err);
  const cause = err.cause instanceof Error ? err.cause.message : err.cause;
  return cause === undefined ? err.message : `${err.message} (${String(cause)})`;
}

/** The trace the middleware put on this request, if observability is on. */
export const traceOf = (c: Context<AppEnv>) => c.get("trace");

/** Wraps a stream's chunks so the trace sees first token, usage and how the stream ended. */
export function observeStream(trace: RequestTrace, stream: ChatStream): ChatStream {
  trace.accepted(stream.backendId);
  const chunks: AsyncIterable<ChatCompletionChunk> = {
    [Symbol.asyncIterator]() {
      const inner = stream.chunks[Symbol.asyncIterator]();
      return {
        async next() {
          try {
            const result = await inner.next();
            if (result.done) trace.finished("ok");
            else trace.chunk(result.value);
            return result;
          } catch (err) {
            trace.finished("error", errorText(err));
            throw err;
          }
        },
        async return(value?: unknown) {
          trace.finished("cancelled");
          await inner.return?.(value);
          return { done: true as const, value: undefined };
        },
      };
    },
  };
  return { backendId: stream.backendId, chunks, inHand: stream.inHand };
}

/** The gateway as the chat route of one request sees it: every stream it starts is observed. */
export function observedGateway(gateway: Gateway, trace: RequestTrace | undefined): Gateway {
  if (!trace) return gateway;
  return {
    listModels: () => gateway.listModels(),
    getModel: (id) => gateway.getModel(id),
    async chat(request: ChatCompletionRequest, ctx) {
      trace.requested(request);
      try {
        return observeStream(trace, await gateway.chat(request, ctx));
      } catch (err) {
        trace.finished("error", errorText(err)); // the status decides the outcome
        throw err;
      }
    },
  };
}
