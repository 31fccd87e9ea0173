// The engine renders tools and tool turns the way the model was trained on them: ModelTokenizer's
// prompt for a conversation with tools, an assistant call and a tool result equals model-export's
// Python renderer (petrel_export/chat.py's render, the text SFT sees), on the tools test model.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ModelTokenizer } from "../../service/src/engine/tokenizer.js";
import { readToolCallFormat } from "../../service/src/engine/tool-call-format.js";
import type { ChatMessage, ToolDefinition } from "../../service/src/engine/types.js";
import { toolModelFiles } from "../helpers/tool-model.js";

const tools: ToolDefinition[] = [
  {
    name: "add",
    description: "Adds two integers",
    parameters: { type: "object", properties: { a: { type: "integer" }, b: { type: "integer" } } },
  },
];
const messages: ChatMessage[] = [
  { role: "system", content: "Be brief." },
  { role: "user", content: "12 + 30?" },
  {
    role: "assistant",
    content: "",
    toolCalls: [{ id: "call_1", name: "add", arguments: '{"a":12,"b":30}' }],
  },
  { role: "tool", content: "42", toolCallId: "call_1" },
];

function pythonRender(): string {
  const wire = [
    messages[0],
    messages[1],
    {
      role: "assistant",
      content: null,
      tool_calls: [
        { id: "call_1", type: "function", function: { name: "add", arguments: { a: 12, b: 30 } } },
      ],
    },
    { role: "tool", tool_call_id: "call_1", content: "42" },
  ];
  const py = `import json, sys
from petrel_export.chat import render
m, t = json.loads(sys.argv[1]), json.loads(sys.argv[2])
sys.stdout.write(render(m, True, t))`;
  const cwd = fileURLToPath(new URL("../../model-export", import.meta.url));
  const wireTools = JSON.stringify(tools.map((f) => ({ type: "function", function: f })));
  return execFileSync("/usr/bin/python3", ["-c", py, JSON.stringify(wire), wireTools], { cwd }).toString();
}

describe("tools in the chat template", () => {
  it("renders tools, a call (arguments as the template's mapping) and a tool result as SFT does", async () => {
    const files = await toolModelFiles();
    const rendered = new ModelTokenizer(files).renderChat(messages, tools);
    expect(rendered).toContain('<tool_call>\n{"name": "add", "arguments": {"a": 12, "b": 30}}\n</tool_call>');
    expect(rendered).toBe(pythonRender());
    expect(readToolCallFormat(files)).toEqual({ start: "<tool_call>", end: "</tool_call>" });
  });

  it("a model that declares no markup has none; a declaration Petrel cannot read is an error", () => {
    expect(readToolCallFormat({ "tokenizer_config.json": {} })).toBeUndefined();
    const other = {
      "tokenizer_config.json": { tool_call_format: { parser: "mistral", start: "[TOOL_CALLS]" } },
    };
    expect(() => readToolCallFormat(other)).toThrow(/tool_call_format/);
  });
});
