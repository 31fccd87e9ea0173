// What `chat.completions.runTools()` returns: the tool loop (tool-loop.ts) as a stream of events,
// pulled like the chunks of a ChatCompletionStream (`for await (const event of runner)`), with the
// same cancellation: `break`, `.abort()` or the caller's signal cancel the request under way and
// run no further tool. Not iterating is fine too: `finalChatCompletion()` runs the loop to its end.

import { linkSignal } from "../core/transport.js";
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionMessageParam,
  ChatCompletionMessageToolCall,
} from "../types.js";
import { CollectingStream } from "./collecting-stream.js";
import type { ParsedChatCompletion } from "./parse.js";

export type ToolRunnerEvent =
  /** A streamed chunk of the model's answer in this round (only with `stream: true`). */
  | { type: "chunk"; round: number; chunk: ChatCompletionChunk }
  /** The model's whole answer in this round. */
  | { type: "completion"; round: number; completion: ChatCompletion }
  /** A call about to run, with its checked arguments. */
  | { type: "tool_call"; round: number; call: ChatCompletionMessageToolCall; arguments: unknown }
  /** A call's result as sent back to the model; with `toolErrors: "reply"` also a failed call's error. */
  | {
      type: "tool_result";
      round: number;
      call: ChatCompletionMessageToolCall;
      content: string;
      error?: unknown;
    };

/** The loop itself: yields events, returns the final completion. */
export type ToolLoop<T> = (state: {
  signal: AbortSignal;
  messages: ChatCompletionMessageParam[];
  completions: ChatCompletion[];
}) => AsyncGenerator<ToolRunnerEvent, ParsedChatCompletion<T>>;

export class ToolRunner<T = null> extends CollectingStream<ToolRunnerEvent, ParsedChatCompletion<T>> {
  /** The conversation: the request's messages, then each assistant turn and tool result. */
  readonly messages: ChatCompletionMessageParam[];
  /** Every completion the model returned, one per round. */
  readonly completions: ChatCompletion[];
  #result: ParsedChatCompletion<T> | undefined;

  constructor(
    loop: ToolLoop<T>,
    messages: readonly ChatCompletionMessageParam[],
    signal?: AbortSignal | null,
  ) {
    const controller = new AbortController();
    const state = { signal: controller.signal, messages: [...messages], completions: [] as ChatCompletion[] };
    const self = { runner: undefined as ToolRunner<T> | undefined };
    super(async function* () {
      const runner = self.runner as ToolRunner<T>;
      runner.#result = yield* loop(state);
    }, controller);
    self.runner = this;
    this.messages = state.messages;
    this.completions = state.completions;
    linkSignal(signal ?? undefined, controller);
  }

  /** Errors from the loop (API errors, ToolCallError, a tool's own error) pass through unchanged. */
  protected override failure(error: unknown): unknown {
    return error;
  }

  protected override build(): ParsedChatCompletion<T> {
    return this.#result as ParsedChatCompletion<T>;
  }

  /** The last round's completion (the answer), `message.parsed` set as `parse()` sets it. */
  finalChatCompletion(): Promise<ParsedChatCompletion<T>> {
    return this.final();
  }

  /** The final answer's text (first choice). */
  async finalContent(): Promise<string | null> {
    return (await this.final()).choices[0]?.message.content ?? null;
  }

  /** The final answer's parsed value (first choice); null without a JSON response format. */
  async finalParsed(): Promise<T | null> {
    return (await this.final()).choices[0]?.message.parsed ?? null;
  }
}
