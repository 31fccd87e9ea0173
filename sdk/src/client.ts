// The Petrel client: holds configuration and exposes resources that mirror the API's paths
// (`client.chat.completions`, `client.responses`, `client.models`). Sending, timeouts and retries live in core/transport.
import { APIPromise, type WithResponse } from "./core/api-promise.js";
import {
  type APIRequest,
  type Fetch,
  type HeaderMap,
  isJSON,
  send,
  type TransportConfig,
} from "./core/transport.js";
import { Chat } from "./resources/chat/chat.js";
import { Models } from "./resources/models.js";
import { Responses } from "./resources/responses/responses.js";

export interface ClientOptions {
  /** Defaults to `PETREL_BASE_URL`, then http://127.0.0.1:8787/v1 (`npm start`). */
  baseURL?: string | undefined;
  /** Sent as `Authorization: Bearer …`; defaults to `PETREL_API_KEY` where an environment exists. */
  apiKey?: string | null | undefined;
  /** Milliseconds per attempt; default 10 minutes. For streams it bounds the wait for headers. */
  timeout?: number | undefined;
  /** Retries after the first attempt; default 2. */
  maxRetries?: number | undefined;
  /** A custom fetch (a proxy-aware one, a service binding's `fetch`, a test double). */
  fetch?: Fetch | undefined;
  /** Sent with every request; a `null` value removes a header the SDK would send. */
  defaultHeaders?: HeaderMap | undefined;
}

export const DEFAULT_BASE_URL = "http://127.0.0.1:8787/v1";
export const DEFAULT_TIMEOUT_MS = 600_000;
export const DEFAULT_MAX_RETRIES = 2;

export class Petrel {
  readonly baseURL: string;
  readonly apiKey: string | null;
  readonly timeout: number;
  readonly maxRetries: number;
  readonly chat: Chat;
  readonly models: Models;
  readonly responses: Responses;
  readonly #options: ClientOptions;
  readonly #config: TransportConfig;

  constructor(options: ClientOptions = {}) {
    this.#options = options;
    this.baseURL = options.baseURL ?? readEnv("PETREL_BASE_URL") ?? DEFAULT_BASE_URL;
    this.apiKey = options.apiKey === undefined ? (readEnv("PETREL_API_KEY") ?? null) : options.apiKey;
    this.timeout = options.timeout ?? DEFAULT_TIMEOUT_MS;
    this.maxRetries = options.maxRetries ?? DEFAULT_MAX_RETRIES;
    const fetchImpl: Fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.#config = {
      baseURL: this.baseURL,
      apiKey: this.apiKey,
      timeout: this.timeout,
      maxRetries: this.maxRetries,
      fetch: fetchImpl,
      defaultHeaders: options.defaultHeaders ?? {},
    };
    this.chat = new Chat(this);
    this.models = new Models(this);
    this.responses = new Responses(this);
  }

  /** A copy of this client with some options replaced. */
  withOptions(options: ClientOptions): Petrel {
    return new Petrel({ ...this.#options, baseURL: this.baseURL, apiKey: this.apiKey, ...options });
  }

  /** Sends a request and parses a JSON (or text) body; resources are thin wrappers over this. */
  request<T>(request: APIRequest): APIPromise<T> {
    return this.requestWith(request, async ({ response }) => (await parseBody(response)) as T);
  }

  /** Sends a request and turns the successful response into `T` with `parse` (used for streams). */
  requestWith<T>(
    request: APIRequest,
    parse: (attempt: { response: Response; controller: AbortController }) => Promise<T>,
  ): APIPromise<T> {
    const result = send<WithResponse<T>>(this.#config, request, async (attempt) => ({
      data: await parse(attempt),
      response: attempt.response,
      requestId: attempt.response.headers.get("x-request-id"),
    }));
    return new APIPromise(result);
  }
}

async function parseBody(response: Response): Promise<unknown> {
  if (response.status === 204) return null;
  if (!isJSON(response.headers.get("content-type"))) return response.text();
  const body: unknown = await response.json();
  if (body && typeof body === "object") {
    // Not enumerable, so it stays out of JSON.stringify and deep-equality checks.
    Object.defineProperty(body, "_request_id", {
      value: response.headers.get("x-request-id"),
      enumerable: false,
    });
  }
  return body;
}

/** Reads an environment variable where the runtime has one (Node, Bun, Deno); never throws. */
function readEnv(name: string): string | undefined {
  const g = globalThis as {
    process?: { env?: Record<string, string | undefined> };
    Deno?: { env?: { get(name: string): string | undefined } };
  };
  try {
    const value = g.process?.env?.[name] ?? g.Deno?.env?.get(name);
    return value?.trim() || undefined;
  } catch {
    return undefined; // Deno without --allow-env throws
  }
}
