// OpenAI's rate-limit headers and 429 bodies for a limiter decision.
import { ApiError } from "../protocol/errors.js";
import type { Decision, LimitSnapshot } from "./rate-limit.js";

/** OpenAI's duration format: "20ms", "1s", "6m0s", "1.5s". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.ceil(ms))}ms`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms - minutes * 60_000) / 10) / 100;
  return minutes > 0 ? `${minutes}m${seconds}s` : `${seconds}s`;
}

/** `x-ratelimit-{limit,remaining,reset}-{requests,tokens}` for the limits that apply to the key. */
export function rateLimitHeaders(decision: Decision): Record<string, string> {
  const headers: Record<string, string> = {};
  const add = (kind: "requests" | "tokens", snapshot: LimitSnapshot | undefined) => {
    if (!snapshot) return;
    headers[`x-ratelimit-limit-${kind}`] = String(snapshot.limit);
    headers[`x-ratelimit-remaining-${kind}`] = String(snapshot.remaining);
    headers[`x-ratelimit-reset-${kind}`] = formatDuration(snapshot.resetMs);
  };
  add("requests", decision.requests);
  add("tokens", decision.tokens);
  return headers;
}

const WHAT = {
  requests: "requests per minute",
  tokens: "tokens per minute",
  concurrency: "concurrent requests",
} as const;

/** The 429 for a refused decision: OpenAI's shape, `retry-after` in whole seconds (≥1) and in ms. */
export function rateLimited(decision: Extract<Decision, { ok: false }>, keyId: string): ApiError {
  const seconds = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
  const message =
    `Rate limit reached for ${WHAT[decision.reason]} on key '${keyId}': limit ${decision.limit}. ` +
    `Please try again in ${formatDuration(decision.retryAfterMs)}.`;
  const code = decision.reason === "concurrency" ? "concurrency_limit_exceeded" : "rate_limit_exceeded";
  return new ApiError(429, message, "rate_limit_error", code, null, {
    headers: {
      ...rateLimitHeaders(decision),
      "retry-after": String(seconds),
      "retry-after-ms": String(Math.max(0, decision.retryAfterMs)),
    },
  });
}
