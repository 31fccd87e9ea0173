// What the Node servers put around the app's fetch: a stand-in ExecutionContext, and stream responses
// whose headers leave together with their first bytes.
import type { ServerResponse } from "node:http";
import type { ExecutionContext } from "hono";

// Node has no ExecutionContext, and Hono's `c.executionCtx` throws without one: an Error, with its
// stack, on every request whose code registers background work (the chat guard's usage settlement).
// On Node that work runs to its end anyway, so this context only has to accept it.
const nodeContext: ExecutionContext = {
  waitUntil(promise) {
    promise.catch(() => {});
  },
  passThroughOnException() {},
  props: {},
};

type AppFetch = (request: Request, env?: unknown, ctx?: ExecutionContext) => Response | Promise<Response>;
type NodeFetch = (request: Request, env?: unknown) => Response | Promise<Response>;

/** The app's fetch with Node's stand-in ExecutionContext. */
export const withNodeContext =
  (fetch: AppFetch) =>
  (request: Request, env?: unknown): Response | Promise<Response> =>
    fetch(request, env, nodeContext);

const isEventStream = (res: Response) => res.headers.get("content-type")?.startsWith("text/event-stream");

/**
 * `fetch` (the outermost one: @hono/node-server's env carries `outgoing`) whose event streams send
 * their headers and first bytes in one write. node-server flushes a streamed body's headers on their
 * own — a write(2) of the header block, and a TCP segment the client wakes up for — before it reads
 * the first chunk, which the chat route usually has in hand. Corked until the end of this turn of the
 * event loop, they leave together with whatever else is ready by then; nothing waits on I/O for it,
 * and a stream whose first chunk is not here yet still sends its headers within the same turn.
 */
export function withStreamHeadCoalesced(fetch: NodeFetch): NodeFetch {
  return async (request, env) => {
    const res = await fetch(request, env);
    const socket = (env as { outgoing?: ServerResponse } | undefined)?.outgoing?.socket;
    if (socket && !socket.destroyed && isEventStream(res)) {
      socket.cork();
      setImmediate(() => socket.uncork());
    }
    return res;
  };
}
