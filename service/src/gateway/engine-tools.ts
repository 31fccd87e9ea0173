// What the embedded engine does with a request's tools and response_format (the engine README's
// "Tools and structured outputs"): which tools the chat template renders, which grammar masks the
// output, and which markup is parsed out of the text into tool_calls.
//
// - response_format json_object / json_schema: the output is one JSON value of that shape.
// - tool_choice "required" / a named function: the output is a call (several for "required" with
//   parallel_tool_calls), forced by the grammar in the model's markup; a model that declares none
//   (tokenizer_config.json's tool_call_format) is forced into HERMES_MARKUP, parsed the same way.
// - tool_choice "auto" (the default with tools): the model writes text or calls; with a declared
//   markup every call it starts is held to the tools' schemas, without one its text is the answer.
// - tool_choice "none": the template renders no tools and nothing is parsed.
import {
  type GrammarSpec,
  HERMES_MARKUP,
  type ToolCallFormat,
  type ToolDefinition,
  type ToolGrammar,
} from "../engine/index.js";
import type { ChatCompletionRequest } from "./types.js";

export interface ToolPlan {
  /** Rendered by the chat template. */
  tools?: ToolDefinition[];
  grammar?: GrammarSpec;
  /** Parsed out of the output into tool_calls; undefined = the output is content. */
  markup?: ToolCallFormat;
}

type Schema = Record<string, unknown>;
// `parameters` omitted means a function without arguments: `{}` and nothing else
const NO_ARGUMENTS: Schema = { type: "object", properties: {}, additionalProperties: false };

export function responseFormatGrammar(
  format: ChatCompletionRequest["response_format"],
): GrammarSpec | undefined {
  if (format?.type === "json_object") return { kind: "json_object" };
  if (format?.type !== "json_schema") return undefined;
  const schema = format.json_schema.schema as Schema | undefined;
  return schema === undefined ? { kind: "json_object" } : { kind: "json_schema", schema };
}

type CallsSpec = Extract<GrammarSpec, { kind: "tool_calls" }>;

function callsGrammar(tools: ToolDefinition[], markup: ToolCallFormat, parallel: boolean): CallsSpec {
  const allowed: ToolGrammar[] = tools.map((t) => ({
    name: t.name,
    parameters: t.parameters ?? NO_ARGUMENTS,
  }));
  // the layout the Hermes template writes: the marker, a newline, the envelope, a newline, the marker
  return { kind: "tool_calls", tools: allowed, parallel, begin: `${markup.start}\n`, end: `\n${markup.end}` };
}

export function planTools(request: ChatCompletionRequest, declared: ToolCallFormat | undefined): ToolPlan {
  const format = responseFormatGrammar(request.response_format);
  const choice = request.tool_choice ?? "auto";
  if (!request.tools || request.tools.length === 0 || choice === "none") return { grammar: format };
  const tools: ToolDefinition[] = request.tools.map(({ function: f }) => ({
    name: f.name,
    ...(f.description !== undefined ? { description: f.description } : {}),
    ...(f.parameters !== undefined ? { parameters: f.parameters as Schema } : {}),
  }));
  const parallel = request.parallel_tool_calls !== false;
  if (typeof choice === "object") {
    const markup = declared ?? HERMES_MARKUP;
    const named = tools.filter((t) => t.name === choice.function.name);
    return { tools, markup, grammar: callsGrammar(named, markup, false) };
  }
  if (choice === "required") {
    const markup = declared ?? HERMES_MARKUP;
    return { tools, markup, grammar: callsGrammar(tools, markup, parallel) };
  }
  // auto: a requested response format shapes the answer; otherwise text or calls in the model's markup
  if (format || !declared) return { tools, grammar: format };
  return {
    tools,
    markup: declared,
    grammar: { ...callsGrammar(tools, declared, parallel), trigger: declared.start },
  };
}
