// Parses a model's tool-call markup out of its streamed text, as OpenAI streams calls: a call starts
// with its name (and an id), then its arguments arrive in fragments. The markup comes from the model
// directory (`tool_call_format` in tokenizer_config.json, e.g. Hermes: `<tool_call>` + a JSON object
// {"name", "arguments"} + `</tool_call>`), never from a format hard-coded here. Text outside the
// markers is content; the markers and the JSON envelope never reach the client as content.

export interface ToolCallFormat {
  start: string;
  end: string;
}

export type ToolCallEvent =
  | { type: "content"; text: string }
  | { type: "call"; index: number; name: string }
  | { type: "arguments"; index: number; fragment: string };

/** What parsing ended with: complete calls, and text that was markup but did not parse. */
export interface ToolCallSummary {
  calls: { name: string; arguments: string }[];
  /** Markup that never became a well-formed call (returned as content by finish()). */
  malformed: boolean;
}

const HEAD = /^\s*\{\s*"name"\s*:\s*"((?:[^"\\]|\\.)*)"\s*,\s*"arguments"\s*:\s*/;

/** Incremental scanner of one JSON value: finds where the value that starts the text ends. */
class JsonValueEnd {
  private depth = 0;
  private inString = false;
  private escaped = false;
  private started = false;

  /** Index just past the value's end within chunk, or -1 while it is still open. */
  scan(chunk: string): number {
    for (let i = 0; i < chunk.length; i++) {
      const ch = chunk.charAt(i);
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (ch === "\\") this.escaped = true;
        else if (ch === '"') this.inString = false;
        continue;
      }
      if (ch === '"') this.inString = true;
      else if (ch === "{" || ch === "[") this.depth++;
      else if (ch === "}" || ch === "]") this.depth--;
      if (!this.started && !/\s/.test(ch)) this.started = true;
      if (this.started && this.depth === 0 && !this.inString) return i + 1;
    }
    return -1;
  }
}

export class ToolCallParser {
  private pending = ""; // text not yet classified
  private mode: "text" | "head" | "arguments" | "tail" = "text";
  private index = -1;
  private args: JsonValueEnd | null = null;
  private readonly calls: { name: string; arguments: string }[] = [];
  private malformed = false;
  private afterCall = false; // whitespace right after a call is layout (the separator), not content

  constructor(private readonly format: ToolCallFormat) {}

  push(text: string): ToolCallEvent[] {
    this.pending += text;
    const out: ToolCallEvent[] = [];
    for (let progressed = true; progressed; ) progressed = this.step(out);
    return out;
  }

  /** Generation ended: releases held-back text; an unfinished call is reported as malformed. */
  finish(): { events: ToolCallEvent[]; summary: ToolCallSummary } {
    const events: ToolCallEvent[] = [];
    if (this.mode === "text" && this.pending) events.push({ type: "content", text: this.pending });
    else if (this.mode !== "text" && this.mode !== "tail") this.malformed = true;
    this.pending = "";
    return { events, summary: { calls: this.calls, malformed: this.malformed } };
  }

  private step(out: ToolCallEvent[]): boolean {
    if (this.mode === "text") return this.stepText(out);
    if (this.mode === "head") return this.stepHead(out);
    if (this.mode === "arguments") return this.stepArguments(out);
    return this.stepTail();
  }

  private stepText(out: ToolCallEvent[]): boolean {
    if (this.afterCall) {
      this.pending = this.pending.replace(/^\s+/, "");
      if (!this.pending) return false;
      this.afterCall = false;
    }
    const at = this.pending.indexOf(this.format.start);
    if (at >= 0) {
      const before = this.pending.slice(0, at).replace(/\s+$/, "");
      if (before) out.push({ type: "content", text: before });
      this.pending = this.pending.slice(at + this.format.start.length);
      this.mode = "head";
      return true;
    }
    // held back: what may start the marker, and the whitespace before it (layout if a call follows)
    const marker = partialSuffix(this.pending, this.format.start);
    const rest = this.pending.slice(0, this.pending.length - marker);
    const keep = marker + (rest.length - rest.replace(/\s+$/, "").length);
    const emit = this.pending.slice(0, this.pending.length - keep);
    if (emit) out.push({ type: "content", text: emit });
    this.pending = this.pending.slice(this.pending.length - keep);
    return false;
  }

  private stepHead(out: ToolCallEvent[]): boolean {
    const m = HEAD.exec(this.pending);
    if (!m) return false; // wait for more text (finish() reports it malformed if it never comes)
    this.index++;
    const name = JSON.parse(`"${m[1]}"`) as string;
    this.calls.push({ name, arguments: "" });
    out.push({ type: "call", index: this.index, name });
    this.pending = this.pending.slice(m[0].length);
    this.args = new JsonValueEnd();
    this.mode = "arguments";
    return true;
  }

  private stepArguments(out: ToolCallEvent[]): boolean {
    const call = this.calls[this.index];
    if (!this.pending || !this.args || !call) return false;
    const end = this.args.scan(this.pending);
    const fragment = end < 0 ? this.pending : this.pending.slice(0, end);
    const trimmed = call.arguments ? fragment : fragment.replace(/^\s+/, "");
    if (trimmed) {
      call.arguments += trimmed;
      out.push({ type: "arguments", index: this.index, fragment: trimmed });
    }
    this.pending = end < 0 ? "" : this.pending.slice(end);
    if (end < 0) return false;
    this.mode = "tail";
    return true;
  }

  /** After the arguments: the envelope's `}` and the end marker, then back to text. */
  private stepTail(): boolean {
    const at = this.pending.indexOf(this.format.end);
    if (at < 0) return false;
    if (!/^\s*\}\s*$/.test(this.pending.slice(0, at))) this.malformed = true;
    this.pending = this.pending.slice(at + this.format.end.length);
    this.mode = "text";
    this.afterCall = true;
    return true;
  }
}

function partialSuffix(text: string, marker: string): number {
  for (let len = Math.min(marker.length - 1, text.length); len > 0; len--) {
    if (text.endsWith(marker.slice(0, len))) return len;
  }
  return 0;
}
