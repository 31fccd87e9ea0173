// The contract between the HTTP layer and whatever serves a model. Every backend — the in-worker
// engine, a Petrel backend server, vLLM, TGI, llama.cpp — is reached through this one interface and
// speaks OpenAI chat-completion chunks, so the HTTP layer has a single code path for all of them.
// Requests and chunks are the wire types generated from the contract (protocol/wire.ts).
import type { ChatCompletionChunk, ChatCompletionRequest } from "../protocol/wire.js";

export type { ChatCompletionChunk, ChatCompletionRequest } from "../protocol/wire.js";

export interface ChatContext {
  requestId: string;
  /** Aborted when the client goes away or the overall deadline passes. */
  signal: AbortSignal;
  /**
   * Keeps background work (health checks the request kicked off) alive past the response, where the
   * runtime needs it: pass `executionCtx.waitUntil` on Workers. Optional.
   */
  waitUntil?: (promise: Promise<unknown>) => void;
  /**
   * When a backend refuses the request as longer than its context (before any token), the gateway
   * asks for a shorter one and tries again; undefined ends the tries with that refusal. The Responses
   * API's `truncation: "auto"` drops its oldest turns this way. Optional.
   */
  shorten?: (request: ChatCompletionRequest) => ChatCompletionRequest | undefined;
}

/**
 * A started generation. `chunks` yields every chunk, including the usage chunk (choices: []) —
 * the HTTP layer drops it when the client did not ask for usage. The iterator throws an ApiError
 * for failures after the start; `start()` has already thrown for failures before the first token.
 */
export interface ChatStream {
  backendId: string;
  chunks: AsyncIterable<ChatCompletionChunk>;
  /**
   * How many chunks are already received and not yet yielded (one upstream read often carries
   * several): the HTTP layer sends those in one write. Absent where chunks are made on demand (the
   * engine), so nothing is computed ahead of the client's reads. Wrappers pass it through.
   */
  inHand?: () => number;
}

export interface ChatBackend {
  readonly id: string;
  /** Resolves once the upstream has accepted the request (first chunk available or headers 200). */
  start(request: ChatCompletionRequest, ctx: ChatContext): Promise<ChatStream>;
}

export interface ModelEntry {
  id: string;
  created: number;
  ownedBy: string;
  contextLength?: number;
}

/** What createApp(deps) needs from the gateway. */
export interface Gateway {
  listModels(): ModelEntry[];
  getModel(id: string): ModelEntry | undefined;
  /** Picks a backend for the model, retries/fails over before the first token, applies timeouts. */
  chat(request: ChatCompletionRequest, ctx: ChatContext): Promise<ChatStream>;
}
