import { describe, expect, it } from "vitest";
import { type ToolCallEvent, ToolCallParser } from "../../service/src/engine/tool-call-parser.js";

const HERMES = { start: "<tool_call>", end: "</tool_call>" };

function run(pieces: string[]) {
  const p = new ToolCallParser(HERMES);
  const events: ToolCallEvent[] = pieces.flatMap((t) => p.push(t));
  const end = p.finish();
  events.push(...end.events);
  const content = events.flatMap((e) => (e.type === "content" ? [e.text] : [])).join("");
  const calls: { name: string; arguments: string }[] = [];
  for (const e of events) {
    if (e.type === "call") calls[e.index] = { name: e.name, arguments: "" };
    const call = e.type === "arguments" ? calls[e.index] : undefined;
    if (e.type === "arguments" && call) call.arguments += e.fragment;
  }
  return { events, content, calls, summary: end.summary };
}

const chars = (s: string) => [...s];
const ONE = '<tool_call>\n{"name": "calculator", "arguments": {"expression": "12 * 34"}}\n</tool_call>';

describe("ToolCallParser (Hermes markup from the model directory)", () => {
  it("passes plain text through as content", () => {
    const r = run(["17 + 5 ", "= 22."]);
    expect(r.content).toBe("17 + 5 = 22.");
    expect(r.calls).toEqual([]);
  });

  it("turns a call into a name, then argument fragments, with no markup in the content", () => {
    for (const pieces of [[ONE], chars(ONE)]) {
      const r = run(pieces);
      expect(r.content).toBe("");
      expect(r.calls).toEqual([{ name: "calculator", arguments: '{"expression": "12 * 34"}' }]);
      expect(r.events.findIndex((e) => e.type === "call")).toBeLessThan(
        r.events.findIndex((e) => e.type === "arguments"),
      );
      expect(r.summary).toEqual({ calls: r.calls, malformed: false });
    }
  });

  it("streams the arguments of a call in several fragments when tokens arrive one by one", () => {
    const r = run(chars(ONE));
    expect(r.events.filter((e) => e.type === "arguments").length).toBeGreaterThan(3);
  });

  it("numbers parallel calls and keeps content written before them", () => {
    const two =
      'Let me check.\n<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}}\n</tool_call>\n' +
      '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Rome", "unit": "celsius"}}\n</tool_call>';
    for (const pieces of [[two], chars(two)]) {
      const r = run(pieces);
      expect(r.content).toBe("Let me check.");
      expect(r.calls.map((c) => JSON.parse(c.arguments).city)).toEqual(["Paris", "Rome"]);
    }
  });

  it("whitespace around calls is layout, never content; text after a call is content", () => {
    const pieces = ["Sure.\n", ONE, "\n", "\n", ONE, "\n"];
    expect(run(pieces).content).toBe("Sure.");
    expect(run([ONE, "\n", "Done", " now."]).content).toBe("Done now.");
    expect(run(["a ", "b\n\n", "c"]).content).toBe("a b\n\nc");
  });

  it("finds the end of arguments holding braces, quotes and escapes inside strings", () => {
    const tricky =
      '<tool_call>{"name": "f", "arguments": {"s": "a } \\" {", "n": [1, {"x": 2}]}}</tool_call>';
    const r = run(chars(tricky));
    expect(JSON.parse(r.calls[0]?.arguments ?? "")).toEqual({ s: 'a } " {', n: [1, { x: 2 }] });
    expect(r.summary.malformed).toBe(false);
  });

  it("releases text that only looked like the start of a marker", () => {
    const r = run(["a <tool", "box> b <", "tool_"]);
    expect(r.content).toBe("a <toolbox> b <tool_");
  });

  it("reports a call cut off before its end as malformed", () => {
    const r = run(['<tool_call>\n{"name": "calculator", "arguments": {"expr']);
    expect(r.summary.malformed).toBe(true);
    expect(r.content).toBe("");
  });
});
