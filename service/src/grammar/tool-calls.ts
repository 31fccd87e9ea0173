// tool_choice "required" / a named function as an XGrammar structural tag: one tagged call per
// allowed tool, `begin{"name": "<tool>", "arguments": ` + the tool's parameter schema + `}end`, and
// with parallel calls any number of them (at least one) separated by a newline — the Hermes / Qwen
// `<tool_call>` convention when begin/end are the model's markup (the model directory declares them).
// With a trigger (tool_choice "auto") the same calls are optional, after free text.
// Each tool's arguments are an EBNF grammar the caller converted from its schema without free
// whitespace (a structural tag's own json_schema content allows any whitespace between tokens, and
// petrel-mini at temperature 1 padded calls with blanks and tabs until max_tokens).
import type { GrammarSpec } from "../engine/index.js";

type ToolCallsSpec = Extract<GrammarSpec, { kind: "tool_calls" }>;
const SEPARATOR = { type: "const_string" as const, value: "\n" };

/** `arguments[i]`: EBNF of tool i's arguments (root rule `root`). */
export function structuralTagFor(spec: ToolCallsSpec, argumentGrammars: string[]) {
  const tags = spec.tools.map((tool, i) => ({
    type: "tag" as const,
    begin: `${spec.begin}{"name": ${JSON.stringify(tool.name)}, "arguments": `,
    content: { type: "grammar" as const, grammar: argumentGrammars[i] as string },
    end: `}${spec.end}`,
  }));
  if (spec.trigger !== undefined) {
    // tool_choice "auto": text, or calls once the text reaches the trigger
    return {
      type: "structural_tag" as const,
      format: {
        type: "triggered_tags" as const,
        triggers: [spec.trigger],
        tags,
        at_least_one: false,
        stop_after_first: !spec.parallel,
      },
    };
  }
  if (spec.parallel && spec.maxCalls !== undefined) {
    // 1 to maxCalls calls, one per line: tags_with_separator has no upper bound
    const one = { type: "or" as const, elements: tags };
    const upTo = Array.from({ length: Math.max(1, spec.maxCalls) }, (_, k) => ({
      type: "sequence" as const,
      elements: Array.from({ length: 2 * k + 1 }, (_, j) => (j % 2 === 0 ? one : SEPARATOR)),
    }));
    return { type: "structural_tag" as const, format: { type: "or" as const, elements: upTo } };
  }
  return {
    type: "structural_tag" as const,
    format: {
      type: "tags_with_separator" as const,
      tags,
      separator: "\n",
      at_least_one: true,
      stop_after_first: !spec.parallel,
    },
  };
}
