// Every failure leaves the service in OpenAI's error shape ({error: {message, type, param, code}}),
// whether it is raised here, by security, by the gateway, or by the engine underneath it.
import { ApiError, invalidRequest } from "../protocol/errors.js";
import type { ErrorBody } from "../protocol/wire.js";

export type { ErrorBody } from "../protocol/wire.js";

const TYPE_BY_STATUS: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  403: "permission_error",
  404: "invalid_request_error",
  409: "conflict_error",
  413: "invalid_request_error",
  415: "invalid_request_error",
  422: "invalid_request_error",
  429: "rate_limit_error",
};

/** The status, body and extra headers for any thrown value. */
export function toErrorResponse(err: unknown): {
  status: number;
  body: { error: ErrorBody };
  headers: Record<string, string>;
} {
  if (err instanceof ApiError) {
    const { status, message, type, code, param, retryAfterSeconds } = err;
    const headers: Record<string, string> = {};
    if (retryAfterSeconds !== undefined) {
      // Both forms: openai-node prefers the precise retry-after-ms, other clients read retry-after.
      headers["retry-after"] = String(Math.ceil(retryAfterSeconds));
      headers["retry-after-ms"] = String(Math.round(retryAfterSeconds * 1000));
    }
    return {
      status,
      body: { error: { message, type, param, code } },
      headers: { ...headers, ...err.headers },
    };
  }
  // Engine errors normally arrive converted by the engine backend; matched by name as a backstop
  // because http/ must not import the engine.
  const named = err as { name?: string; message?: string; param?: string };
  if (named?.name === "ContextLengthExceededError") {
    return toErrorResponse(
      invalidRequest(named.message ?? "context length exceeded", "messages", "context_length_exceeded"),
    );
  }
  if (named?.name === "InvalidParamError") {
    return toErrorResponse(invalidRequest(named.message ?? "invalid parameter", named.param ?? null));
  }
  const status = (err as { status?: unknown })?.status;
  if (typeof status === "number" && status >= 400 && status < 600 && status !== 500) {
    // Hono's HTTPException (e.g. from middleware) keeps its status.
    const message = named?.message || "Request failed.";
    return toErrorResponse(new ApiError(status, message, TYPE_BY_STATUS[status] ?? "server_error"));
  }
  return toErrorResponse(
    new ApiError(500, "The server had an error while processing your request.", "server_error"),
  );
}

/** A JSON error response; used by onError, notFound and handlers that answer before streaming. */
export function errorJson(err: unknown, requestId: string | undefined): Response {
  const { status, body, headers } = toErrorResponse(err);
  const responseHeaders = new Headers({ "content-type": "application/json", ...headers });
  if (requestId) responseHeaders.set("x-request-id", requestId);
  return new Response(JSON.stringify(body), { status, headers: responseHeaders });
}
