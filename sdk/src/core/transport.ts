// The one place where requests are sent, timed out and retried. Everything above it (resources,
// streams) hands over a request and a `parse` step; everything below is the `fetch` it was given.
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from "./errors.js";
import { retryDelayMs, shouldRetryResponse, sleep } from "./retry.js";

export type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;
/** Header values; `null` removes a header set at a lower level (client defaults or the SDK). */
export type HeaderMap = Record<string, string | null | undefined>;

export interface TransportConfig {
  baseURL: string;
  apiKey: string | null;
  timeout: number;
  maxRetries: number;
  fetch: Fetch;
  defaultHeaders: HeaderMap;
  /** The wait between attempts; retry.ts's timer unless a test drives it. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface RequestOptions {
  signal?: AbortSignal | undefined;
  /** Milliseconds. For streams it bounds the wait for response headers, not the whole stream. */
  timeout?: number | undefined;
  maxRetries?: number | undefined;
  headers?: HeaderMap | undefined;
}

export interface APIRequest {
  method: "GET" | "POST" | "DELETE";
  path: string;
  body?: unknown;
  /** Streams are retried only until headers arrive; the timeout stops covering them then. */
  stream?: boolean;
  options?: RequestOptions | undefined;
}

/** One attempt: the response (status 2xx) and the controller that aborts its body. */
export interface Attempt {
  response: Response;
  controller: AbortController;
}

/**
 * Sends `request`, retrying per the policy in retry.ts, and runs `parse` on the first 2xx response
 * while the attempt's timeout still runs (so a body that stalls also counts as a timeout).
 */
export async function send<T>(
  config: TransportConfig,
  request: APIRequest,
  parse: (a: Attempt) => Promise<T>,
) {
  const options = request.options ?? {};
  const maxRetries = options.maxRetries ?? config.maxRetries;
  for (let attempt = 0; ; attempt++) {
    const outcome = await attemptOnce(config, request, attempt, parse);
    if (outcome.ok) return outcome.value;
    const { error, headers } = outcome;
    if (attempt >= maxRetries || !outcome.retryable) throw error;
    try {
      await (config.sleep ?? sleep)(retryDelayMs(attempt + 1, headers), options.signal);
    } catch {
      throw new APIUserAbortError();
    }
  }
}

type Outcome<T> =
  | { ok: true; value: T }
  | { ok: false; error: APIError; retryable: boolean; headers?: Headers | undefined };

async function attemptOnce<T>(
  config: TransportConfig,
  request: APIRequest,
  attempt: number,
  parse: (a: Attempt) => Promise<T>,
): Promise<Outcome<T>> {
  const options = request.options ?? {};
  const timeout = options.timeout ?? config.timeout;
  const controller = new AbortController();
  const unlink = linkSignal(options.signal, controller);
  let timedOut = false;
  let streaming = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new APIConnectionTimeoutError());
  }, timeout);
  try {
    const init = buildInit(config, request, attempt, timeout, controller.signal);
    const response = await config.fetch(buildURL(config.baseURL, request.path), init);
    if (request.stream && response.ok) clearTimeout(timer);
    if (!response.ok) {
      const retryable = shouldRetryResponse(response.status, response.headers);
      return { ok: false, error: await errorFromResponse(response), retryable, headers: response.headers };
    }
    const value = await parse({ response, controller });
    streaming = request.stream === true;
    return { ok: true, value };
  } catch (err) {
    if (options.signal?.aborted) return { ok: false, error: new APIUserAbortError(), retryable: false };
    if (timedOut) return { ok: false, error: new APIConnectionTimeoutError(), retryable: true };
    if (err instanceof APIError) return { ok: false, error: err, retryable: false };
    return { ok: false, error: new APIConnectionError(undefined, { cause: err }), retryable: true };
  } finally {
    clearTimeout(timer);
    // A started stream keeps its link: the caller's signal must still stop it while it is read.
    if (!streaming) unlink();
  }
}

export function linkSignal(signal: AbortSignal | undefined, controller: AbortController): () => void {
  if (!signal) return () => {};
  if (signal.aborted) controller.abort(signal.reason);
  const onAbort = () => controller.abort(signal.reason);
  signal.addEventListener("abort", onAbort, { once: true });
  return () => signal.removeEventListener("abort", onAbort);
}

export function buildURL(baseURL: string, path: string): string {
  return `${baseURL.replace(/\/+$/, "")}/${path.replace(/^\/+/, "")}`;
}

function buildInit(
  config: TransportConfig,
  request: APIRequest,
  attempt: number,
  timeout: number,
  signal: AbortSignal,
): RequestInit {
  const headers = new Headers();
  const layers: HeaderMap[] = [
    {
      accept: request.stream ? "text/event-stream" : "application/json",
      "content-type": request.body === undefined ? null : "application/json",
      authorization: config.apiKey ? `Bearer ${config.apiKey}` : null,
      // Same names as openai-node, so proxies and the Petrel edge log them without special cases.
      "x-stainless-retry-count": String(attempt),
      "x-stainless-timeout": String(Math.trunc(timeout / 1000)),
    },
    config.defaultHeaders,
    request.options?.headers ?? {},
  ];
  for (const layer of layers) {
    for (const [name, value] of Object.entries(layer)) {
      if (value === null) headers.delete(name);
      else if (value !== undefined) headers.set(name, value);
    }
  }
  const init: RequestInit = { method: request.method, headers, signal };
  if (request.body !== undefined) init.body = JSON.stringify(request.body);
  return init;
}

/** Turns a non-2xx response into the matching error class; a non-JSON body becomes the message. */
export async function errorFromResponse(response: Response): Promise<APIError> {
  const text = await response.text().catch(() => "");
  let body: unknown = text;
  if (isJSON(response.headers.get("content-type")) || text.startsWith("{")) {
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
  }
  return APIError.generate(response.status, body, undefined, response.headers);
}

export function isJSON(contentType: string | null): boolean {
  if (!contentType) return false;
  const type = contentType.split(";")[0]?.trim().toLowerCase() ?? "";
  return type === "application/json" || type.endsWith("+json");
}
