// The request body's size limit. Hono's bodyLimit first looks at `c.req.raw.body`, which on Node
// (@hono/node-server) turns the adapter's lazy request into a full web Request with a ReadableStream
// body, on every request. A declared Content-Length is enough to decide (both runtimes' HTTP parsers
// hold the body to it), and the route then reads the body once through the adapter's direct path.
// Only a body without one (chunked) goes through Hono's middleware, which counts it while reading.
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { ApiError } from "../protocol/errors.js";

export function bodySizeLimit(maxBytes: number): MiddlewareHandler {
  const tooLarge = () => {
    throw new ApiError(
      413,
      `Request body is larger than ${maxBytes} bytes.`,
      "invalid_request_error",
      "request_too_large",
    );
  };
  const counted = bodyLimit({ maxSize: maxBytes, onError: tooLarge });
  return async function sizeLimit(c, next) {
    const length = c.req.header("content-length");
    if (length === undefined || c.req.header("transfer-encoding") !== undefined) return counted(c, next);
    if (Number(length) > maxBytes) tooLarge();
    await next();
  };
}
