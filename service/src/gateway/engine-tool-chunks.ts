// The engine's text, parsed per choice by the model's tool-call markup (engine/tool-call-parser.ts),
// as OpenAI streams it: content deltas for the text around calls, then per call a first fragment
// with `index`, `id`, `type` and `function.name` (arguments ""), then `function.arguments` fragments;
// a choice that made calls and stopped finishes with "tool_calls". The markup never reaches the
// client as content. Logprobs stay with content: a delta's logprobs go with its first content chunk.
import type { FinishReason, TokenLogprob, ToolCallEvent, ToolCallFormat } from "../engine/index.js";
import { ToolCallParser } from "../engine/index.js";
import type * as Wire from "../protocol/wire.js";

type ChunkChoice = Wire.ChatCompletionChunkChoice;

const randomCallId = () => `call_${crypto.randomUUID().replace(/-/g, "").slice(0, 24)}`;

export class ToolCallChunks {
  private readonly parsers = new Map<number, ToolCallParser>();

  constructor(
    private readonly markup: ToolCallFormat,
    private readonly toWireLogprobs: (logprobs: TokenLogprob[]) => Wire.TokenLogprob[],
    private readonly callId: () => string = randomCallId,
  ) {}

  delta(index: number, text: string, logprobs: TokenLogprob[] | undefined): ChunkChoice[] {
    const choices = this.toChoices(index, this.parser(index).push(text));
    const first = choices.find((c) => typeof c.delta.content === "string");
    if (first && logprobs) first.logprobs = { content: this.toWireLogprobs(logprobs), refusal: null };
    return choices;
  }

  finish(index: number, reason: FinishReason): ChunkChoice[] {
    const parser = this.parser(index);
    const { events, summary } = parser.finish();
    const called = summary.calls.length > 0 && reason === "stop";
    const last: ChunkChoice = {
      index,
      delta: {},
      logprobs: null,
      finish_reason: called ? "tool_calls" : reason,
    };
    return [...this.toChoices(index, events), last];
  }

  private parser(index: number): ToolCallParser {
    let parser = this.parsers.get(index);
    if (!parser) {
      parser = new ToolCallParser(this.markup);
      this.parsers.set(index, parser);
    }
    return parser;
  }

  private toChoices(index: number, events: ToolCallEvent[]): ChunkChoice[] {
    return events.map((event) => ({
      index,
      delta: this.toDelta(event),
      logprobs: null,
      finish_reason: null,
    }));
  }

  private toDelta(event: ToolCallEvent): Wire.ChatCompletionDelta {
    if (event.type === "content") return { content: event.text };
    if (event.type === "call") {
      const call = { name: event.name, arguments: "" };
      return { tool_calls: [{ index: event.index, id: this.callId(), type: "function", function: call }] };
    }
    return { tool_calls: [{ index: event.index, function: { arguments: event.fragment } }] };
  }
}
