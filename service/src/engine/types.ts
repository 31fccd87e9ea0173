// Public types of the engine. The engine is runtime-agnostic: no HTTP, no Hono, no onnxruntime here.
// Gateway and entries depend only on what service/src/engine/index.ts re-exports.
import type { GrammarSpec } from "./grammar/types.js";
import type { LogitsProcessorFactory } from "./sampling/logits-processor.js";
import type { ToolCallFormat } from "./tool-call-parser.js";

/** A chat message after the HTTP layer has flattened text parts into one string. */
export interface ChatMessage {
  role: "system" | "developer" | "user" | "assistant" | "tool";
  content: string;
  name?: string;
  /** An assistant turn's calls; `arguments` is JSON text, as on the wire. */
  toolCalls?: ToolCall[];
  /** A tool turn: the id of the call it answers. */
  toolCallId?: string;
}

export interface ToolCall {
  id: string;
  name: string;
  arguments: string;
}

/** A function the model may call, rendered into the prompt by the chat template (as `tools`). */
export interface ToolDefinition {
  name: string;
  description?: string;
  /** JSON Schema of the arguments. */
  parameters?: Record<string, unknown>;
}

/** Sampling and stopping parameters, camelCase; the HTTP layer maps the wire fields onto these. */
export interface GenerateParams {
  messages: ChatMessage[];
  /** Upper bound on completion tokens; undefined = up to the context limit. */
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  minP?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  repetitionPenalty?: number;
  /** token id → bias added to its logit (−100..100) */
  logitBias?: Record<number, number>;
  stop?: string[];
  seed?: number;
  /** Number of choices; each choice gets its own index and its own PRNG stream. */
  n?: number;
  logprobs?: boolean;
  topLogprobs?: number;
  /** Tools the chat template renders (its `tools` variable); whether a call is parsed is the caller's choice. */
  tools?: ToolDefinition[];
  /** Per-choice logits processors (sampling/logits-processor.ts), e.g. a grammar's token mask. */
  logitsProcessors?: LogitsProcessorFactory;
  /**
   * Constrained decoding: every choice's output matches this grammar (response_format json_schema /
   * json_object, or the allowed tool calls); needs an engine created with `grammar`. A complete match
   * ends the choice with finish_reason "stop"; max_tokens can still cut it ("length").
   */
  grammar?: GrammarSpec;
}

export interface TopLogprob {
  token: string;
  logprob: number;
  bytes: number[] | null;
}

export interface TokenLogprob extends TopLogprob {
  topLogprobs: TopLogprob[];
}

export type FinishReason = "stop" | "length";

export interface Usage {
  promptTokens: number;
  completionTokens: number;
}

/** Events of one generation, pulled as an async iterator. */
export type GenerateEvent =
  | { type: "delta"; index: number; text: string; tokenIds: number[]; logprobs?: TokenLogprob[] }
  | { type: "finish"; index: number; finishReason: FinishReason }
  | { type: "usage"; usage: Usage };

export interface ModelInfo {
  id: string;
  contextLength: number;
  vocabSize: number;
  /** The model's tool-call markup from its directory (tool-call-format.ts); undefined when it declares none. */
  toolCallFormat?: ToolCallFormat;
}

export interface Engine {
  readonly info: ModelInfo;
  /** Validates and tokenizes eagerly: throws ContextLengthExceededError before the first event. */
  generate(params: GenerateParams, signal?: AbortSignal): AsyncIterable<GenerateEvent>;
  /** Load report for balancing: queued and active requests, capacity. */
  load(): { queued: number; active: number; capacity: number };
  dispose(): Promise<void>;
}

export class ContextLengthExceededError extends Error {
  override readonly name = "ContextLengthExceededError";
  constructor(
    readonly promptTokens: number,
    readonly requestedTokens: number,
    readonly contextLength: number,
  ) {
    super(
      `This model's maximum context length is ${contextLength} tokens. However, you requested ${
        promptTokens + requestedTokens
      } tokens (${promptTokens} in the messages, ${requestedTokens} in the completion). Please reduce the length of the messages or completion.`,
    );
  }
}

export class InvalidParamError extends Error {
  override readonly name = "InvalidParamError";
  constructor(
    message: string,
    readonly param: string,
  ) {
    super(message);
  }
}
