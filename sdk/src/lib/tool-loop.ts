// One tool loop, as an async generator the ToolRunner pulls: a request per round (streamed or not),
// then each call of the answer checked and run in order, its result appended as a `tool` message.

import type { Petrel } from "../client.js";
import type { RequestOptions } from "../core/transport.js";
import type {
  ChatCompletion,
  ChatCompletionCreateParams,
  ChatCompletionMessage,
  ChatCompletionMessageParam,
} from "../types.js";
import { prepareCall, type RunnableTool, runCall } from "./define-tool.js";
import { parseCompletion } from "./parse.js";
import { MaxToolRoundsError, ToolCallError } from "./tool-errors.js";
import type { ToolLoop, ToolRunnerEvent } from "./tool-runner.js";

export type ChatCompletionToolRunnerParams = Omit<ChatCompletionCreateParams, "tools" | "stream"> & {
  tools: readonly RunnableTool<never>[];
  /** Stream each round's answer (`chunk` events); default false. */
  stream?: boolean;
};

export interface ToolRunnerOptions extends RequestOptions {
  /** Requests to the model at most (default 10); one that still asks for tools throws MaxToolRoundsError. */
  maxRounds?: number;
  /**
   * What a bad call does (an unknown function, arguments that are not JSON or break the schema, a tool
   * that throws): `"throw"` (default) ends the loop with the error; `"reply"` sends its message to the
   * model as the call's result, so it can try again.
   */
  toolErrors?: "throw" | "reply";
}

/** The assistant turn as it goes back in the next request. */
const assistantTurn = (message: ChatCompletionMessage): ChatCompletionMessageParam => ({
  role: "assistant",
  content: message.content,
  ...(message.tool_calls?.length ? { tool_calls: message.tool_calls } : {}),
});

export function toolLoop<T>(
  client: Petrel,
  params: ChatCompletionToolRunnerParams,
  options: ToolRunnerOptions = {},
): ToolLoop<T> {
  const { maxRounds = 10, toolErrors = "throw", ...requestOptions } = options;
  const { stream, tools, ...rest } = params;
  const completions = client.chat.completions;
  return async function* ({ signal, messages, completions: done }) {
    for (let round = 1; ; round++) {
      // A forced choice (`required`, a named function) applies to the first round; after it the model
      // may answer in text, or the loop would never end.
      const forced = round > 1 && rest.tool_choice && rest.tool_choice !== "none";
      const body = {
        ...rest,
        tools: [...tools],
        messages,
        ...(forced ? { tool_choice: "auto" as const } : {}),
      };
      const opts = { ...requestOptions, signal };
      let completion: ChatCompletion;
      if (stream) {
        const chunks = await completions.stream(body, opts);
        for await (const chunk of chunks) yield { type: "chunk", round, chunk };
        completion = await chunks.finalChatCompletion();
      } else {
        completion = await completions.create(body, opts);
      }
      done.push(completion);
      yield { type: "completion", round, completion };
      const message = completion.choices[0]?.message;
      const calls = message?.tool_calls ?? [];
      if (message) messages.push(assistantTurn(message));
      if (calls.length === 0) return parseCompletion<T>(completion, params);
      if (round >= maxRounds) throw new MaxToolRoundsError(round, messages);
      // Calls that end at max_tokens are cut off; running them would only report broken JSON.
      const last = calls[calls.length - 1];
      if (completion.choices[0]?.finish_reason === "length" && last) throw new ToolCallError("length", last);
      for (const call of calls) {
        const context = { call, signal, messages };
        let event: ToolRunnerEvent & { type: "tool_result" };
        try {
          const { tool, args } = await prepareCall(tools, call);
          yield { type: "tool_call", round, call, arguments: args };
          event = { type: "tool_result", round, call, content: await runCall(tool, args, context) };
        } catch (error) {
          if (toolErrors === "throw" || signal.aborted) throw error;
          // "ToolCallError: The model's call to …", "Error: …": the model reads what went wrong.
          event = { type: "tool_result", round, call, content: String(error), error };
        }
        messages.push({ role: "tool", tool_call_id: call.id, content: event.content });
        yield event;
      }
    }
  };
}
