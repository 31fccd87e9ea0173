// One error hierarchy for everything the client can throw, shaped like openai-node's so code written
// against `openai` catches Petrel errors the same way: `catch (e) { if (e instanceof RateLimitError) … }`.

/** The OpenAI error object: `{"error": {message, type, param, code}}`. */
export interface ErrorObject {
  message?: string;
  type?: string;
  param?: string | null;
  code?: string | number | null;
  [key: string]: unknown;
}

export class PetrelError extends Error {
  override name = "PetrelError";
}

export class APIError extends PetrelError {
  override name = "APIError";
  /** HTTP status, or undefined when no response arrived or the error came inside a stream. */
  readonly status: number | undefined;
  readonly headers: Headers | undefined;
  /** The raw `error` object from the body, when there was one. */
  readonly error: ErrorObject | undefined;
  readonly code: string | null;
  readonly param: string | null;
  readonly type: string | null;
  /** The server's `x-request-id`: quote it when reporting a problem. */
  readonly requestId: string | null;

  constructor(
    status: number | undefined,
    error: ErrorObject | undefined,
    message: string | undefined,
    headers: Headers | undefined,
  ) {
    super(APIError.makeMessage(status, error, message));
    this.status = status;
    this.headers = headers;
    this.error = error;
    this.code = error?.code == null ? null : String(error.code);
    this.param = typeof error?.param === "string" ? error.param : null;
    this.type = typeof error?.type === "string" ? error.type : null;
    this.requestId = headers?.get("x-request-id") ?? null;
  }

  private static makeMessage(status: number | undefined, error: ErrorObject | undefined, message?: string) {
    const text = typeof error?.message === "string" ? error.message : message;
    if (status && text) return `${status} ${text}`;
    if (status) return `${status} status code (no body)`;
    return text ?? "(no status code or body)";
  }

  /** Picks the class for a status; `body` is the parsed response body (or its text). */
  static generate(status: number | undefined, body: unknown, message: string | undefined, headers?: Headers) {
    const error = errorObjectOf(body);
    const make = status === undefined ? undefined : classForStatus(status);
    if (make) return new make(status, error, message, headers);
    return new APIError(status, error, message, headers);
  }
}

export class BadRequestError extends APIError {
  override name = "BadRequestError";
}
export class AuthenticationError extends APIError {
  override name = "AuthenticationError";
}
export class PermissionDeniedError extends APIError {
  override name = "PermissionDeniedError";
}
export class NotFoundError extends APIError {
  override name = "NotFoundError";
}
export class ConflictError extends APIError {
  override name = "ConflictError";
}
export class UnprocessableEntityError extends APIError {
  override name = "UnprocessableEntityError";
}
export class RateLimitError extends APIError {
  override name = "RateLimitError";
}
export class InternalServerError extends APIError {
  override name = "InternalServerError";
}

export class APIUserAbortError extends APIError {
  override name = "APIUserAbortError";
  constructor(message = "Request was aborted.") {
    super(undefined, undefined, message, undefined);
  }
}

export class APIConnectionError extends APIError {
  override name = "APIConnectionError";
  constructor(message = "Connection error.", options?: { cause?: unknown }) {
    super(undefined, undefined, message, undefined);
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}

export class APIConnectionTimeoutError extends APIConnectionError {
  override name = "APIConnectionTimeoutError";
  constructor(message = "Request timed out.") {
    super(message);
  }
}

type ErrorClass = new (
  status: number | undefined,
  error: ErrorObject | undefined,
  message: string | undefined,
  headers: Headers | undefined,
) => APIError;

const byStatus: Record<number, ErrorClass> = {
  400: BadRequestError,
  401: AuthenticationError,
  403: PermissionDeniedError,
  404: NotFoundError,
  409: ConflictError,
  422: UnprocessableEntityError,
  429: RateLimitError,
};

function classForStatus(status: number): ErrorClass | undefined {
  return byStatus[status] ?? (status >= 500 ? InternalServerError : undefined);
}

/**
 * Finds the error object in a body. OpenAI nests it under `error`; TGI sends `{"error": "text"}`;
 * a non-JSON body arrives as a string and becomes the message.
 */
function errorObjectOf(body: unknown): ErrorObject | undefined {
  if (typeof body === "string") return body ? { message: body } : undefined;
  if (!body || typeof body !== "object") return undefined;
  const inner = (body as { error?: unknown }).error;
  if (typeof inner === "string") return { message: inner };
  if (inner && typeof inner === "object") return inner as ErrorObject;
  return body as ErrorObject;
}
