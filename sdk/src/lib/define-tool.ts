// Local functions the model can call: `defineTool()` pairs a function tool's wire definition with the
// schema that checks its arguments and the code that runs it, for `runTools()`.
import type {
  ChatCompletionMessageParam,
  ChatCompletionMessageToolCall,
  ChatCompletionTool,
} from "../types.js";
import { check, type Infer, type SchemaLike, toJSONSchema } from "./schema.js";
import { ToolCallError } from "./tool-errors.js";

/** What a tool's `run` gets besides its arguments. */
export interface ToolContext {
  /** The call being answered (its id, name and raw argument text). */
  call: ChatCompletionMessageToolCall;
  /** Fires when the runner is aborted; pass it on to fetches the tool makes. */
  signal: AbortSignal;
  /** The conversation so far, ending with the assistant message that made the call. */
  messages: readonly ChatCompletionMessageParam[];
}

export interface ToolDefinition<S extends SchemaLike, Result> {
  name: string;
  description?: string;
  /** The arguments' schema: a Standard Schema validator with JSON Schema output (zod …) or JSON Schema. */
  parameters: S;
  /** Ask the server to keep the arguments to the schema (sent as `function.strict`). */
  strict?: boolean;
  /** Runs the call. A string result is sent as is; anything else as JSON. */
  run: (args: Infer<S>, context: ToolContext) => Result | Promise<Result>;
}

const RUNNER = Symbol("petrel.tool");

interface ToolRunnerParts<Args> {
  parameters: SchemaLike;
  run: (args: Args, context: ToolContext) => unknown;
}

/** A function tool as sent on the wire, carrying (under a symbol) how to check and run its calls. */
export type RunnableTool<Args = unknown> = ChatCompletionTool & { readonly [RUNNER]: ToolRunnerParts<Args> };

export function defineTool<S extends SchemaLike, Result>(
  definition: ToolDefinition<S, Result>,
): RunnableTool<Infer<S>> {
  const { name, description, parameters, strict, run } = definition;
  // Fields left undefined are dropped by JSON.stringify on the way out.
  const fn = { name, description, parameters: toJSONSchema(parameters), strict };
  return { type: "function", function: fn, [RUNNER]: { parameters, run } };
}

/** The tool a call names, with its arguments parsed and checked; throws ToolCallError otherwise. */
export async function prepareCall(
  tools: readonly RunnableTool<never>[],
  call: ChatCompletionMessageToolCall,
): Promise<{ tool: RunnableTool<never>; args: unknown }> {
  const tool = tools.find((t) => t.function.name === call.function.name);
  if (!tool) throw new ToolCallError("unknown_tool", call);
  let value: unknown;
  try {
    // Models send "" for a function without parameters.
    value = call.function.arguments.trim() === "" ? {} : JSON.parse(call.function.arguments);
  } catch {
    throw new ToolCallError("json", call);
  }
  const result = await check(tool[RUNNER].parameters, value);
  if (result.issues) throw new ToolCallError("schema", call, result.issues);
  return { tool, args: result.value };
}

/** Runs a prepared call; the result as the text of the `tool` message that answers it. */
export async function runCall(
  tool: RunnableTool<never>,
  args: unknown,
  context: ToolContext,
): Promise<string> {
  const result = await tool[RUNNER].run(args as never, context);
  if (typeof result === "string") return result;
  return JSON.stringify(result) ?? "";
}
