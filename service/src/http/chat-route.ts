// POST /v1/chat/completions: validate against the contract, look the model up, then either fold the
// gateway's chunks into one JSON completion or stream them as SSE. Nothing is committed (status 200)
// before validation and model lookup, and a stream waits a short window for its first chunk so that
// early failures still get a real HTTP status.
import type { Context } from "hono";
import type { ChatContext, Gateway } from "../gateway/types.js";
import { isChatCompletionRequest } from "../generated/chat-request-validator.js";
import { openapiDocument } from "../generated/openapi-document.js";
import { invalidRequest, modelNotFound } from "../protocol/errors.js";
import type { ChatCompletionRequest } from "../protocol/wire.js";
import { aggregateChunks } from "./aggregate.js";
import type { Limits } from "./deps.js";
import type { AppEnv } from "./env.js";
import { observedGateway, traceOf } from "./observability.js";
import { SSE_HEADERS, type StartedStream, sseBody } from "./sse.js";
import { checkTools } from "./tool-checks.js";
import { createSchemaValidator, type RequestValidator } from "./validation.js";

export interface ChatRouteOptions {
  gateway: Gateway;
  limits: Limits;
}

// A valid request is checked by the validator compiled at `npm run gen`; only a failing one goes to the
// reference validator (built on first need), which names the field and says what is wrong with it.
let reference: RequestValidator | undefined;
const validate: RequestValidator = (body) => {
  if (isChatCompletionRequest(body)) return null;
  reference ??= createSchemaValidator(openapiDocument, "ChatCompletionRequest");
  return reference(body);
};

const invalidJson = () =>
  invalidRequest(
    "We could not parse the JSON body of your request. The API expects a JSON payload; what was sent was not valid JSON.",
    null,
    "invalid_json",
  );

/** The body as JSON: parsed by the security guard when it ran (once per request), else here. */
export async function readJson(c: Context<AppEnv>): Promise<unknown> {
  const parsed = c.get("requestJson");
  if (parsed) {
    if (parsed.ok) return parsed.value;
    throw invalidJson();
  }
  const text = await c.req.text();
  try {
    return JSON.parse(text);
  } catch {
    throw invalidJson();
  }
}

/** Parses and validates the body; throws ApiError (400/404) before anything is sent. */
async function parseRequest(c: Context<AppEnv>, gateway: Gateway): Promise<ChatCompletionRequest> {
  const body = await readJson(c);
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw invalidRequest("The request body must be a JSON object.", null, "invalid_type");
  }
  const failure = validate(body);
  if (failure) throw invalidRequest(failure.message, failure.param, failure.code);
  // Validated against the contract above: from here on the body is the wire type.
  const request = body as ChatCompletionRequest;
  if (!gateway.getModel(request.model)) throw modelNotFound(request.model);
  checkTools(request);
  return request;
}

/** Rejects with the gateway's error, or resolves "ready"/"pending" when the window closes first. */
export async function waitWindow(
  started: Promise<StartedStream>,
  windowMs: number,
): Promise<"ready" | "pending"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const closed = new Promise<"pending">((resolve) => {
    timer = setTimeout(() => resolve("pending"), windowMs);
  });
  try {
    return await Promise.race([started.then(() => "ready" as const), closed]);
  } finally {
    clearTimeout(timer);
  }
}

async function startStream(
  gateway: Gateway,
  request: ChatCompletionRequest,
  ctx: ChatContext,
): Promise<StartedStream> {
  const stream = await gateway.chat(request, ctx);
  const iterator = stream.chunks[Symbol.asyncIterator]();
  return { iterator, first: await iterator.next(), inHand: stream.inHand };
}

export function chatHandler({ gateway: shared, limits }: ChatRouteOptions) {
  return async (c: Context<AppEnv>) => {
    const requestId = c.get("requestId");
    // The security guard may hand this request a metering wrapper of the gateway.
    const trace = traceOf(c);
    const gateway = observedGateway(c.get("chatGateway") ?? shared, trace);
    const request = await parseRequest(c, gateway);
    const abort = new AbortController();
    const clientSignal = c.req.raw.signal;
    clientSignal?.addEventListener("abort", () => abort.abort(clientSignal.reason), { once: true });
    const ctx: ChatContext = { requestId, signal: abort.signal };

    if (!request.stream) {
      const stream = await gateway.chat(request, ctx);
      return c.json(await aggregateChunks(stream.chunks));
    }

    const started = startStream(gateway, request, ctx);
    started.catch(() => {}); // observed below or by the SSE writer; never an unhandled rejection
    const window = await waitWindow(started, limits.firstChunkWindowMs);
    const body = sseBody({
      started,
      includeUsage: request.stream_options?.include_usage === true,
      heartbeatMs: limits.heartbeatMs,
      abort,
      commentFirst: window === "pending",
      ...trace?.bodyHooks(),
    });
    return new Response(body, { status: 200, headers: { ...SSE_HEADERS, "x-request-id": requestId } });
  };
}
