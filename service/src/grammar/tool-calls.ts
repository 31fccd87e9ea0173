// tool_choice "required" / a named function as an XGrammar structural tag: one tagged call per
// allowed tool, `begin{"name": "<tool>", "arguments": ` + the tool's parameter schema + `}end`, and
// with parallel calls any number of them (at least one) separated by a newline — the Hermes / Qwen
// `<tool_call>` convention when begin/end are the model's markup (the model directory declares them).
// With a trigger (tool_choice "auto") the same calls are optional, after free text.
import type { GrammarSpec } from "../engine/index.js";

type ToolCallsSpec = Extract<GrammarSpec, { kind: "tool_calls" }>;

export function structuralTagFor(spec: ToolCallsSpec) {
  const tags = spec.tools.map((tool) => ({
    type: "tag" as const,
    begin: `${spec.begin}{"name": ${JSON.stringify(tool.name)}, "arguments": `,
    content: { type: "json_schema" as const, json_schema: tool.parameters },
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
