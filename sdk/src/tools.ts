// `@petrel/sdk/tools`: the tool loop. `defineTool()` pairs a function tool with the schema of its
// arguments and the code that runs it; `runTools(client, params)` asks the model, runs the calls it
// makes, sends their results back and asks again until it answers without calls. A separate entry,
// so apps that only chat do not ship it (the main bundle has a size budget).
import type { Petrel } from "./client.js";
import type { ParsedOutput } from "./lib/parse.js";
import { type ChatCompletionToolRunnerParams, type ToolRunnerOptions, toolLoop } from "./lib/tool-loop.js";
import { ToolRunner } from "./lib/tool-runner.js";

/**
 * Runs a tool loop on `client`: the model's calls to `params.tools` (made with `defineTool()`) are
 * checked and run here, their results sent back, until the model answers without calls.
 */
export function runTools<P extends ChatCompletionToolRunnerParams>(
  client: Petrel,
  params: P,
  options: ToolRunnerOptions = {},
): ToolRunner<ParsedOutput<P>> {
  return new ToolRunner(toolLoop<ParsedOutput<P>>(client, params, options), params.messages, options.signal);
}

export { defineTool, type RunnableTool, type ToolContext, type ToolDefinition } from "./lib/define-tool.js";
export { MaxToolRoundsError, ToolCallError } from "./lib/tool-errors.js";
export type { ChatCompletionToolRunnerParams, ToolRunnerOptions } from "./lib/tool-loop.js";
export { ToolRunner, type ToolRunnerEvent } from "./lib/tool-runner.js";
