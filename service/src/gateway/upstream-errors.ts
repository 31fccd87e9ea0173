// Maps what an upstream says when it fails onto ApiError. Engines disagree on the error body
// (vLLM: integer `code`; TGI: {"error": "…", "error_type"}; llama.cpp: its own types), so the
// message is kept and the status/type/code normalised to OpenAI's shapes.

import { ApiError } from "../protocol/errors.js";

/** Statuses worth another attempt, on this or another backend, before the first token. */
export function isRetryable(err: unknown): boolean {
  return err instanceof ApiError && [408, 429, 500, 502, 503, 504].includes(err.status);
}

interface UpstreamErrorText {
  message?: string;
  type?: string;
  code?: string;
  param?: string;
}

// URLs and host:port pairs in an upstream's own words (a proxy's "connect to 10.0.0.5:8000 failed")
// would tell clients where the backends live.
const ADDRESS =
  /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]+|\[[0-9a-f:]+\](?::\d+)?|\b(?:\d{1,3}\.){3}\d{1,3}(?::\d+)?\b|\b[\w.-]+:\d{2,5}\b/gi;

/** An upstream's message with addresses replaced, fit for a client. */
export function scrubAddresses(text: string): string {
  return text.replace(ADDRESS, "<address>");
}

export function describeUpstreamError(body: unknown): UpstreamErrorText {
  const described = describeRaw(body);
  return described.message === undefined
    ? described
    : { ...described, message: scrubAddresses(described.message) };
}

function describeRaw(body: unknown): UpstreamErrorText {
  if (typeof body === "string") return { message: body.slice(0, 500) || undefined };
  if (typeof body !== "object" || body === null) return {};
  const error = (body as Record<string, unknown>).error;
  if (typeof error === "string") return { message: error };
  if (typeof error !== "object" || error === null) return {};
  const e = error as Record<string, unknown>;
  return {
    message: typeof e.message === "string" ? e.message : undefined,
    type: typeof e.type === "string" ? e.type : undefined,
    code: typeof e.code === "string" ? e.code : undefined,
    param: typeof e.param === "string" ? e.param : undefined,
  };
}

/** An HTTP error response from an upstream, before any content was sent. */
export function upstreamHttpError(
  backendId: string,
  status: number,
  body: unknown,
  retryAfterMs: number | undefined,
): ApiError {
  const { message, type, code, param } = describeUpstreamError(body);
  const retryAfter = retryAfterMs === undefined ? undefined : Math.max(1, Math.ceil(retryAfterMs / 1000));
  const detail = message ?? `HTTP ${status}`;
  if (status === 429) {
    return new ApiError(
      429,
      `Upstream is rate limiting: ${detail}`,
      "rate_limit_error",
      code ?? "rate_limit_exceeded",
      null,
      { retryAfterSeconds: retryAfter },
    );
  }
  // The request itself is bad (context too long, bad parameter): no other backend would accept it.
  // The upstream's `param` goes along, so a client learns which field a backend refused.
  if (status === 400 || status === 413 || status === 422) {
    return new ApiError(
      400,
      detail,
      type && !/^[A-Z]/.test(type) ? type : "invalid_request_error",
      code ?? null,
      param ?? null,
    );
  }
  if (status === 503 || status === 408 || status === 504) {
    const s = status === 408 ? 504 : status;
    return new ApiError(
      s,
      `Upstream ${backendId} unavailable: ${detail}`,
      "server_error",
      "upstream_unavailable",
      null,
      { retryAfterSeconds: retryAfter },
    );
  }
  // 401/403/404 mean this backend is misconfigured (key, model name), 5xx that it broke: 502 either way.
  return new ApiError(
    502,
    `Upstream ${backendId} failed with HTTP ${status}: ${detail}`,
    "server_error",
    "upstream_error",
  );
}

/** An `{"error": …}` event inside an upstream stream. */
export function upstreamStreamError(backendId: string, payload: unknown): ApiError {
  const { message, code } = describeUpstreamError(payload);
  return new ApiError(
    502,
    `Upstream ${backendId} failed mid-stream: ${message ?? "unknown error"}`,
    "server_error",
    code ?? "upstream_error",
  );
}
