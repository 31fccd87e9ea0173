// The Node gateway's upstream client: undici's connection pool (an Agent: keep-alive sockets per
// origin) through its request() API, which hands back status, plain headers and a Node stream, none
// of the Request/Response/ReadableStream objects that fetch builds around every call. The gateway
// keeps its own timeouts (connect, first token, idle, total), so undici's are off.
import type { Readable } from "node:stream";
import { Agent } from "undici";
import type { ByteSource, Transport } from "../gateway/index.js";

/** A Node stream as a pull source: reads whatever is buffered, else waits for more. */
export function readableSource(
  body: Readable & { dump?: (o: { limit: number }) => Promise<unknown> },
): ByteSource {
  let wake: (() => void) | undefined;
  let failure: Error | undefined;
  let ended = false;
  let released = false;
  const signal = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  body.on("readable", signal);
  body.on("end", () => {
    ended = true;
    signal();
  });
  body.on("error", (err) => {
    failure = err;
    signal();
  });
  body.on("close", () => {
    if (!ended) failure ??= new Error("upstream body closed");
    signal();
  });
  return {
    async read() {
      for (;;) {
        const chunk = body.read() as Buffer | null;
        if (chunk !== null) return { done: false, value: chunk };
        if (failure) throw failure;
        if (ended) return { done: true };
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    },
    cancel() {
      if (!released && !body.destroyed) body.destroy();
    },
    release() {
      released = true;
      // A 'readable' listener would keep the stream paused: flowing is what drains it.
      body.off("readable", signal);
      // undici reads what is left (up to the limit, then aborts); a finished response keeps its socket
      if (body.dump) body.dump({ limit: 64 * 1024 }).catch(() => {});
      else body.resume();
    },
  };
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
  return async (url, init) => {
    const { origin, path } = target(url);
    const res = await agent.request({ origin, path, ...init });
    let source: ByteSource | undefined;
    return {
      status: res.statusCode,
      headers: {
        get(name) {
          const v = res.headers[name];
          return v === undefined ? null : Array.isArray(v) ? v.join(", ") : v;
        },
      },
      // taken lazily: text() reads the same stream
      get body() {
        source ??= readableSource(res.body);
        return source;
      },
      text: () => res.body.text(),
    };
  };
}
