// Node has no ExecutionContext, and Hono's `c.executionCtx` throws without one: an Error, with its
// stack, on every request whose code registers background work (the chat guard's usage settlement).
// On Node that work runs to its end anyway, so this context only has to accept it.
import type { ExecutionContext } from "hono";

const nodeContext: ExecutionContext = {
  waitUntil(promise) {
    promise.catch(() => {});
  },
  passThroughOnException() {},
  props: {},
};

type AppFetch = (request: Request, env?: unknown, ctx?: ExecutionContext) => Response | Promise<Response>;

/** The app's fetch with Node's stand-in ExecutionContext. */
export const withNodeContext =
  (fetch: AppFetch) =>
  (request: Request, env?: unknown): Response | Promise<Response> =>
    fetch(request, env, nodeContext);
