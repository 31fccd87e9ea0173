// Small middleware factories: setup once, return a named handler (Hono's style).
import type { MiddlewareHandler } from "hono";
import { invalidApiKey, missingApiKey } from "../protocol/errors.js";
import type { Ids } from "./deps.js";
import type { AppEnv } from "./env.js";

// Client-sent ids are echoed only when they look like ids, so logs and headers stay clean.
const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Sets `requestId` on the context (the client's x-request-id when sane) and on every response. */
export function requestId(ids: Ids): MiddlewareHandler<AppEnv> {
  return async function requestIdMiddleware(c, next) {
    const incoming = c.req.header("x-request-id");
    const id = incoming && SAFE_ID.test(incoming) ? incoming : ids.requestId();
    c.set("requestId", id);
    await next();
    try {
      c.res.headers.set("x-request-id", id);
    } catch {
      // Immutable headers (a Response from fetch): copy it once.
      c.res = new Response(c.res.body, c.res);
      c.res.headers.set("x-request-id", id);
    }
  };
}

/** Bearer-key auth, on only when keys are configured. Compares in constant time per key. */
export function bearerAuth(keys: readonly string[]): MiddlewareHandler {
  const encoder = new TextEncoder();
  const expected = keys.map((k) => encoder.encode(k));
  const matches = (given: Uint8Array) =>
    expected.some((key) => {
      if (key.length !== given.length) return false;
      let diff = 0;
      for (let i = 0; i < key.length; i++) diff |= (key[i] ?? 0) ^ (given[i] ?? 0);
      return diff === 0;
    });
  return async function bearerAuthMiddleware(c, next) {
    const header = c.req.header("authorization") ?? "";
    const token = /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim();
    if (!token) throw missingApiKey();
    if (!matches(encoder.encode(token))) throw invalidApiKey();
    await next();
  };
}
