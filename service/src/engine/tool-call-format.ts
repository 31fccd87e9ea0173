// How a model writes a tool call, read from its directory: `tool_call_format` in
// tokenizer_config.json, e.g. {"parser": "hermes", "start": "<tool_call>", "end": "</tool_call>"}
// (model-export writes it). Hermes is the envelope Petrel reads between the markers: a JSON object
// {"name": …, "arguments": {…}} (tool-call-parser.ts), the convention vLLM's `hermes` parser reads too.
// A model that declares none gets no parsing of its text; a call the request forces (tool_choice
// "required" or named) is then written in HERMES_MARKUP, which the grammar dictates token by token.
import type { ModelFiles } from "./model-files.js";
import { ModelFileError, readJson } from "./model-files.js";
import type { ToolCallFormat } from "./tool-call-parser.js";

/** The markup used to force a call on a model that declares no format of its own. */
export const HERMES_MARKUP: ToolCallFormat = { start: "<tool_call>", end: "</tool_call>" };

const nonEmpty = (value: unknown): value is string => typeof value === "string" && value.length > 0;

/**
 * The model's declared format, or undefined when it declares none. A declaration Petrel cannot read
 * (another parser, missing markers) is an error, so a model never silently loses its tool calls.
 */
export function readToolCallFormat(files: ModelFiles): ToolCallFormat | undefined {
  const config = readJson<Record<string, unknown>>(files, "tokenizer_config.json");
  const declared = config?.tool_call_format;
  if (declared === undefined || declared === null) return undefined;
  const { parser, start, end } = declared as Record<string, unknown>;
  if (parser !== "hermes" || !nonEmpty(start) || !nonEmpty(end)) {
    throw new ModelFileError(
      `tokenizer_config.json: tool_call_format must be {"parser": "hermes", "start": <text>, "end": <text>}; got ${JSON.stringify(declared)}`,
    );
  }
  return { start, end };
}
