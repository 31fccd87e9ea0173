// POST /v1/responses: validate against the contract, replay the previous_response_id chain, translate
// to a chat request and make the SAME gateway call the chat route makes (so keys, limits, metering,
// failover and cancellation are the chat path's), then fold the chunks into a response (JSON) or
// stream them as Responses events. Stored responses belong to the caller's key.
import type { Context } from "hono";
import type { ChatCompletionRequest, ChatContext, ChatStream, Gateway } from "../gateway/types.js";
import { openapiDocument } from "../generated/openapi-document.js";
import { ApiError, invalidRequest, modelNotFound } from "../protocol/errors.js";
import {
  type CreateResponseRequest,
  checkCallOutputs,
  dropOldestTurn,
  initialResponse,
  type NewId,
  ResponseBuilder,
  type ResponseStore,
  randomId,
  referencedIds,
  type StoredItem,
  toChatRequest,
  toStoredItems,
} from "../responses/index.js";
import { readJson, waitWindow } from "./chat-route.js";
import type { Limits } from "./deps.js";
import type { AppEnv } from "./env.js";
import { observedGateway, traceOf } from "./observability.js";
import { keepAlive, ownerOf } from "./owner.js";
import { responseSseBody } from "./responses-sse.js";
import { responseNotFound } from "./responses-stored.js";
import { SSE_HEADERS, type StartedStream } from "./sse.js";
import { createSchemaValidator } from "./validation.js";

export interface ResponsesRouteOptions {
  gateway: Gateway;
  store: ResponseStore;
  limits: Limits;
  logError: (err: unknown, requestId: string) => void;
  /** Milliseconds since the epoch, for created_at. */
  now?: () => number;
  newId?: NewId;
}

const validate = createSchemaValidator(openapiDocument, "ResponseCreateRequest");

function checkToolChoice(request: CreateResponseRequest) {
  const choice = request.tool_choice;
  const names = new Set((request.tools ?? []).map((t) => t.name));
  if ((choice === "required" || typeof choice === "object") && names.size === 0)
    throw invalidRequest("Tool choice requires a non-empty 'tools' list.", "tool_choice", "invalid_value");
  if (typeof choice === "object" && choice !== null && !names.has(choice.name))
    throw invalidRequest(
      `Tool choice '${choice.name}' is not in 'tools'.`,
      "tool_choice.name",
      "invalid_value",
    );
}

async function parseRequest(c: Context<AppEnv>, gateway: Gateway): Promise<CreateResponseRequest> {
  const body = await readJson(c);
  if (body === null || typeof body !== "object" || Array.isArray(body))
    throw invalidRequest("The request body must be a JSON object.", null, "invalid_type");
  const failure = validate(body);
  if (failure) throw invalidRequest(failure.message, failure.param, failure.code);
  const request = body as CreateResponseRequest;
  if (!gateway.getModel(request.model)) throw modelNotFound(request.model);
  checkToolChoice(request);
  return request;
}

/** The items of the chain before this request (inputs and outputs of each turn, oldest first). */
async function chainItems(
  store: ResponseStore,
  owner: string,
  id: string | null | undefined,
): Promise<StoredItem[]> {
  if (!id) return [];
  const chain = await store.chain(owner, id);
  if (!chain) throw responseNotFound(id, "previous_response_id");
  return chain.flatMap(({ response, inputItems }) => [...inputItems, ...response.output]);
}

// A 400 from the chat path names a chat field; the client sent the Responses one.
const RESPONSES_PARAM: [RegExp, string][] = [
  [/^messages\b.*/, "input"],
  [/^response_format\b.*/, "text.format"],
  [/^max_(completion_)?tokens$/, "max_output_tokens"],
];

/** The gateway call, with a refusal's `param` in the Responses request's terms. */
async function startChat(
  gateway: Gateway,
  chat: ChatCompletionRequest,
  ctx: ChatContext,
): Promise<ChatStream> {
  try {
    return await gateway.chat(chat, ctx);
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 400 || !err.param) throw err;
    const param = RESPONSES_PARAM.reduce((p, [chatName, name]) => p.replace(chatName, name), err.param);
    throw new ApiError(400, err.message, err.type, err.code, param);
  }
}

/** A promise resolved later: storing, known to the runtime before it happens. */
function pending(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

export function responsesHandler(options: ResponsesRouteOptions) {
  const { store, limits, logError } = options;
  const now = options.now ?? Date.now;
  const newId = options.newId ?? randomId;
  return async (c: Context<AppEnv>) => {
    const requestId = c.get("requestId");
    // The security guard may hand this request a metering wrapper of the gateway.
    const trace = traceOf(c);
    const gateway = observedGateway(c.get("chatGateway") ?? options.gateway, trace);
    const request = await parseRequest(c, gateway);
    const owner = await ownerOf(c);
    const past = await chainItems(store, owner, request.previous_response_id);
    const inputItems = toStoredItems(
      request.input,
      await store.items(owner, referencedIds(request.input)),
      newId,
    );
    checkCallOutputs(past, inputItems);
    const chat = toChatRequest(request, [...past, ...inputItems]);
    const builder = new ResponseBuilder(
      initialResponse(request, newId("resp"), Math.floor(now() / 1000)),
      newId,
    );

    const abort = new AbortController();
    const clientSignal = c.req.raw.signal;
    clientSignal?.addEventListener("abort", () => abort.abort(clientSignal.reason), { once: true });
    const shorten = request.truncation === "auto" ? dropOldestTurn : undefined;
    const ctx: ChatContext = { requestId, signal: abort.signal, shorten };
    const saving = pending();
    const save = async () => {
      try {
        if (request.store !== false) await store.save(owner, { response: builder.response, inputItems });
      } catch (err) {
        logError(err, requestId);
      } finally {
        saving.resolve();
      }
    };

    if (!request.stream) {
      const stream = await startChat(gateway, chat, ctx);
      keepAlive(c, saving.promise);
      builder.start();
      try {
        for await (const chunk of stream.chunks) builder.add(chunk);
      } catch (err) {
        if (abort.signal.aborted) builder.interrupt();
        else builder.fail(err);
        await save();
        throw err;
      }
      builder.finish();
      await save();
      return c.json(builder.response);
    }

    const started = startChat(gateway, chat, ctx).then(async (stream): Promise<StartedStream> => {
      const iterator = stream.chunks[Symbol.asyncIterator]();
      return { iterator, first: await iterator.next() };
    });
    started.catch(() => {}); // observed below or by the stream body; never an unhandled rejection
    await waitWindow(started, limits.firstChunkWindowMs);
    keepAlive(c, saving.promise);
    const body = responseSseBody({
      started,
      builder,
      heartbeatMs: limits.heartbeatMs,
      abort,
      save,
      ...trace?.bodyHooks(),
    });
    return new Response(body, { status: 200, headers: { ...SSE_HEADERS, "x-request-id": requestId } });
  };
}
