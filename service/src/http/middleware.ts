// Small middleware factories: setup once, return a named handler (Hono's style).
import type { MiddlewareHandler } from "hono";
import { ApiError } from "../protocol/errors.js";
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

const JSON_TYPE = /^application\/(?:[\w.-]+\+)?json\s*(?:;|$)/i;

/**
 * Request bodies are JSON: a body sent as anything else (text/plain, a form) is refused with 415
 * before anything reads it. No header at all is read as JSON, as raw HTTP clients send it.
 */
export function jsonOnly(): MiddlewareHandler<AppEnv> {
  return async function jsonOnlyMiddleware(c, next) {
    const type = c.req.header("content-type");
    if (type !== undefined && !JSON_TYPE.test(type.trim())) {
      throw new ApiError(
        415,
        "Unsupported content type: the request body must be JSON, sent with Content-Type: application/json.",
        "invalid_request_error",
        "unsupported_media_type",
      );
    }
    await next();
  };
}
