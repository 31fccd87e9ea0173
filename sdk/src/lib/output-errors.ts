// The error for structured output that cannot become what the caller asked for: cut off, not JSON,
// or not valid against its schema. A PetrelError like every other failure.
import { PetrelError } from "../core/errors.js";
import type { ChatCompletion } from "../types.js";
import { describeIssues, type SchemaIssue } from "./schema.js";

/** Why output failed: it stopped early (`length`, `content_filter`), is not JSON, or breaks the schema. */
export type OutputFailure = "length" | "content_filter" | "json" | "schema";

/** Shared with the tool errors, which say the same things about a call's arguments. */
export const failureText = {
  length: "cut off by the token limit",
  content_filter: "stopped by a content filter",
  json: "not valid JSON",
  schema: "invalid against the schema: ",
};

export class StructuredOutputError extends PetrelError {
  override name = "StructuredOutputError";

  constructor(
    readonly reason: OutputFailure,
    /** The message text that failed (null when there was none). */
    readonly content: string | null,
    readonly completion: ChatCompletion,
    /** What the validator reported, for `reason: "schema"`. */
    readonly issues: readonly SchemaIssue[] = [],
  ) {
    super(`The structured output is ${failureText[reason]}${describeIssues(issues)}`);
  }
}
