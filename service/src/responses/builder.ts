// Chat completion chunks → Responses stream events, in OpenAI's order, and the response object they
// build. response.created and response.in_progress first; text opens a message item
// (output_item.added, content_part.added) and streams output_text.delta; a tool call closes what is
// open and opens a function_call item that streams function_call_arguments.delta; at the end every open
// item is closed (…done events) and response.completed / response.incomplete carries the whole object.
// Every event gets the next sequence_number. Only choice 0 is read: the Responses API has no `n`.
import { ApiError } from "../protocol/errors.js";
import type { ChatCompletionChunk, ToolCallDelta, Usage } from "../protocol/wire.js";
import type { NewId } from "./ids.js";
import type { FunctionCall, OutputMessage, ResponseObject, ResponseUsage, StreamEvent } from "./types.js";

type Unsequenced<E> = E extends unknown ? Omit<E, "sequence_number"> : never;
type Open<T> = { item: T; outputIndex: number };

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

export function toResponseUsage(usage: Usage): ResponseUsage {
  return {
    input_tokens: usage.prompt_tokens,
    input_tokens_details: { cached_tokens: usage.prompt_tokens_details?.cached_tokens ?? 0 },
    output_tokens: usage.completion_tokens,
    output_tokens_details: { reasoning_tokens: usage.completion_tokens_details?.reasoning_tokens ?? 0 },
    total_tokens: usage.total_tokens,
  };
}

export class ResponseBuilder {
  readonly response: ResponseObject;
  #sequence = 0;
  #events: StreamEvent[] = [];
  #message: Open<OutputMessage> | undefined;
  #call: Open<FunctionCall> | undefined;
  #calls = new Map<number, Open<FunctionCall>>();
  #finishReason: string | null = null;
  #ended = false;

  constructor(
    initial: ResponseObject,
    private readonly newId: NewId,
  ) {
    this.response = clone(initial);
  }

  /** True once a final state was reached (completed, incomplete, failed). */
  get ended(): boolean {
    return this.#ended;
  }

  start(): StreamEvent[] {
    this.#emit({ type: "response.created", response: clone(this.response) });
    this.#emit({ type: "response.in_progress", response: clone(this.response) });
    return this.#take();
  }

  add(chunk: ChatCompletionChunk): StreamEvent[] {
    if (chunk.usage) this.response.usage = toResponseUsage(chunk.usage);
    for (const choice of chunk.choices) {
      if (choice.index !== 0) continue;
      const content = choice.delta.content;
      if (typeof content === "string" && content !== "") this.#text(content);
      for (const call of choice.delta.tool_calls ?? []) this.#toolCall(call);
      if (choice.finish_reason) this.#finishReason = choice.finish_reason;
    }
    return this.#take();
  }

  /** The stream ended normally: close what is open, then response.completed or response.incomplete. */
  finish(): StreamEvent[] {
    const reason = this.#finishReason;
    const incomplete =
      reason === "length" ? "max_output_tokens" : reason === "content_filter" ? reason : undefined;
    this.#closeAll(incomplete ? "incomplete" : "completed");
    this.response.status = incomplete ? "incomplete" : "completed";
    this.response.incomplete_details = incomplete ? { reason: incomplete } : null;
    this.#ended = true;
    this.#emit({
      type: incomplete ? "response.incomplete" : "response.completed",
      response: clone(this.response),
    });
    return this.#take();
  }

  /** The backend failed after the response started: response.failed. */
  fail(err: unknown): StreamEvent[] {
    this.#markOpen("incomplete");
    this.response.status = "failed";
    this.response.error =
      err instanceof ApiError
        ? { code: err.status === 429 ? "rate_limit_exceeded" : "server_error", message: err.message }
        : { code: "server_error", message: "The server had an error while processing your request." };
    this.#ended = true;
    this.#emit({ type: "response.failed", response: clone(this.response) });
    return this.#take();
  }

  /** The client went away mid-stream: the response stays as far as it got, marked incomplete. */
  interrupt(): void {
    this.#markOpen("incomplete");
    this.response.status = "incomplete";
    this.response.incomplete_details = { reason: "client_disconnected" };
    this.#ended = true;
  }

  #text(delta: string) {
    if (this.#call) this.#closeCall("completed");
    const open = this.#message ?? this.#openMessage();
    const part = open.item.content[0];
    if (part) part.text += delta;
    const where = { item_id: open.item.id, output_index: open.outputIndex, content_index: 0 };
    this.#emit({ type: "response.output_text.delta", ...where, delta, logprobs: [] });
  }

  #openMessage(): Open<OutputMessage> {
    const item: OutputMessage = {
      type: "message",
      id: this.newId("msg"),
      role: "assistant",
      status: "in_progress",
      content: [],
    };
    const open = { item, outputIndex: this.#push(item) };
    this.#message = open;
    this.#emit({ type: "response.output_item.added", output_index: open.outputIndex, item: clone(item) });
    const part = { type: "output_text" as const, text: "", annotations: [] };
    item.content.push(part);
    const where = { item_id: item.id, output_index: open.outputIndex, content_index: 0 };
    this.#emit({ type: "response.content_part.added", ...where, part: clone(part) });
    return open;
  }

  #closeMessage(status: OutputMessage["status"]) {
    const open = this.#message;
    if (!open) return;
    this.#message = undefined;
    const part = open.item.content[0] ?? { type: "output_text" as const, text: "", annotations: [] };
    const where = { item_id: open.item.id, output_index: open.outputIndex, content_index: 0 };
    this.#emit({ type: "response.output_text.done", ...where, text: part.text, logprobs: [] });
    this.#emit({ type: "response.content_part.done", ...where, part: clone(part) });
    open.item.status = status;
    this.#emit({ type: "response.output_item.done", output_index: open.outputIndex, item: clone(open.item) });
  }

  #toolCall(delta: ToolCallDelta) {
    let open = this.#calls.get(delta.index);
    if (!open) {
      this.#closeMessage("completed");
      if (this.#call) this.#closeCall("completed");
      const item: FunctionCall = {
        type: "function_call",
        id: this.newId("fc"),
        call_id: delta.id || this.newId("call"),
        name: delta.function?.name ?? "",
        arguments: "",
        status: "in_progress",
      };
      open = { item, outputIndex: this.#push(item) };
      this.#calls.set(delta.index, open);
      this.#call = open;
      this.#emit({ type: "response.output_item.added", output_index: open.outputIndex, item: clone(item) });
    } else if (delta.function?.name && !open.item.name) open.item.name = delta.function.name;
    const fragment = delta.function?.arguments;
    if (!fragment) return;
    if (open !== this.#call)
      throw new ApiError(
        502,
        "The backend interleaved tool call arguments.",
        "server_error",
        "upstream_error",
      );
    open.item.arguments += fragment;
    const where = { item_id: open.item.id, output_index: open.outputIndex };
    this.#emit({ type: "response.function_call_arguments.delta", ...where, delta: fragment });
  }

  #closeCall(status: FunctionCall["status"]) {
    const open = this.#call;
    if (!open) return;
    this.#call = undefined;
    const where = { item_id: open.item.id, output_index: open.outputIndex };
    this.#emit({ type: "response.function_call_arguments.done", ...where, arguments: open.item.arguments });
    open.item.status = status;
    this.#emit({ type: "response.output_item.done", output_index: open.outputIndex, item: clone(open.item) });
  }

  #closeAll(status: "completed" | "incomplete") {
    this.#closeMessage(status);
    this.#closeCall(status);
  }

  #markOpen(status: "incomplete") {
    if (this.#message) this.#message.item.status = status;
    if (this.#call) this.#call.item.status = status;
    this.#message = undefined;
    this.#call = undefined;
  }

  #push(item: OutputMessage | FunctionCall): number {
    this.response.output.push(item);
    return this.response.output.length - 1;
  }

  #emit(event: Unsequenced<StreamEvent>) {
    this.#events.push({ ...event, sequence_number: this.#sequence++ } as StreamEvent);
  }

  #take(): StreamEvent[] {
    const events = this.#events;
    this.#events = [];
    return events;
  }
}
