// The one error class of the service: an HTTP status plus OpenAI's error fields. Raised anywhere —
// the HTTP layer, security, the gateway, a backend — and rendered once by the HTTP layer's onError
// (http/errors.ts) as {error: {message, type, param, code}}.

export interface ApiErrorOptions {
  /** Sent as `retry-after` (whole seconds) and `retry-after-ms`; the gateway also rests a backend this long. */
  retryAfterSeconds?: number;
  /** Extra response headers (rate-limit headers on a 429). */
  headers?: Record<string, string>;
  cause?: unknown;
}

export class ApiError extends Error {
  override readonly name = "ApiError";
  readonly retryAfterSeconds: number | undefined;
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    readonly status: number,
    message: string,
    readonly type: string,
    readonly code: string | null = null,
    readonly param: string | null = null,
    options: ApiErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.headers = options.headers ?? {};
  }
}

export const invalidRequest = (message: string, param: string | null = null, code: string | null = null) =>
  new ApiError(400, message, "invalid_request_error", code, param);

/** OpenAI's wording for an unknown (or inaccessible) model; a runaway id is not echoed whole. */
export const modelNotFound = (model: string) =>
  new ApiError(
    404,
    `The model \`${model.length > 256 ? `${model.slice(0, 256)}…` : model}\` does not exist or you do not have access to it.`,
    "invalid_request_error",
    "model_not_found",
    "model",
  );

/** The client went away (nginx's 499): logged and metered, never sent. */
export const clientClosed = () =>
  new ApiError(499, "Client closed the request", "client_closed_request", "client_closed");

export const missingApiKey = () =>
  new ApiError(
    401,
    "You didn't provide an API key. Provide it in the Authorization header (Authorization: Bearer YOUR_KEY).",
    "invalid_request_error",
    "missing_api_key",
  );

export const invalidApiKey = () =>
  new ApiError(401, "Incorrect API key provided.", "invalid_request_error", "invalid_api_key");
