// Errors of the tool loop: a call to a function nobody defined or with arguments that are cut off,
// do not parse or break the schema, and a model that still calls tools when the rounds run out.
import { PetrelError } from "../core/errors.js";
import type { ChatCompletionMessageParam, ChatCompletionMessageToolCall } from "../types.js";
import { failureText } from "./output-errors.js";
import { describeIssues, type SchemaIssue } from "./schema.js";

export class ToolCallError extends PetrelError {
  override name = "ToolCallError";

  constructor(
    /** `length`: the answer stopped at max_tokens inside the call, so its arguments are cut off. */
    readonly reason: "unknown_tool" | "length" | "json" | "schema",
    readonly toolCall: ChatCompletionMessageToolCall,
    /** What the validator reported, for `reason: "schema"`. */
    readonly issues: readonly SchemaIssue[] = [],
  ) {
    const name = `The model's call to '${toolCall.function.name}'`;
    super(
      reason === "unknown_tool"
        ? `${name} names a tool that was not given`
        : `${name} has arguments that are ${failureText[reason]}${describeIssues(issues)}`,
    );
  }
}

export class MaxToolRoundsError extends PetrelError {
  override name = "MaxToolRoundsError";

  constructor(
    rounds: number,
    /** The conversation so far, ending with the assistant message whose calls were not run. */
    readonly messages: readonly ChatCompletionMessageParam[],
  ) {
    super(`The model still called tools after ${rounds} rounds (maxRounds)`);
  }
}
