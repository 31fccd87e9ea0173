// The conversation side of the two examples: a structured answer shown as the object parse() checked,
// and a tool loop shown as it runs — each call and its result, then the answer streaming in.
import { askStructured, askWithTools } from "./examples.js";
import { addMessage } from "./render.js";

const ms = (value) => `${Math.round(value)} ms`;
const tokens = (usage) => (usage ? String(usage.completion_tokens) : "—");

/** One checked answer; returns the turns it adds to the conversation. */
export async function structuredAnswer(client, request, signal) {
  const bubble = addMessage("assistant");
  bubble.setState("streaming");
  const start = performance.now();
  try {
    const completion = await askStructured(client, request, signal);
    const choice = completion.choices[0];
    bubble.item.dataset.requestId = completion._request_id ?? "";
    bubble.setText(JSON.stringify(choice?.message.parsed ?? null, null, 2));
    bubble.setState("done");
    bubble.setMeta([
      ["Schema", "valid", "schema"],
      ["Time", ms(performance.now() - start), "time"],
      ["Tokens", tokens(completion.usage), "tokens"],
      ["End", choice?.finish_reason ?? "—", "end"],
    ]);
    return [{ role: "assistant", content: choice?.message.content ?? "" }];
  } finally {
    if (bubble.item.dataset.state !== "done") bubble.item.remove();
  }
}

const callText = (call, args) => `${call.function.name}(${JSON.stringify(args)})`;

/** A tool loop; returns the turns it adds (assistant calls, tool results, the answer). */
export async function toolsAnswer(client, request, signal) {
  const runner = askWithTools(client, request, signal);
  const calls = new Map();
  let bubble = null;
  let answer = null;
  try {
    for await (const event of runner) {
      if (event.type === "chunk") {
        const delta = event.chunk.choices[0]?.delta?.content;
        if (!delta) continue;
        if (!bubble) {
          bubble = addMessage("assistant");
          bubble.setState("streaming");
        }
        bubble.append(delta);
      } else if (event.type === "completion") {
        bubble?.setState("done");
        answer = bubble;
        bubble = null;
      } else if (event.type === "tool_call") {
        const item = addMessage("tool", callText(event.call, event.arguments));
        item.setState("streaming");
        calls.set(event.call.id, { item, call: event.call, args: event.arguments, done: false });
      } else if (event.type === "tool_result") {
        const call = calls.get(event.call.id);
        call?.item.setText(`${callText(event.call, call.args)} → ${event.content}`);
        call?.item.setState("done");
        if (call) call.done = true;
      }
    }
  } catch (err) {
    // A call that failed (its tool threw, or the call was refused) says so where it was made.
    for (const call of calls.values())
      if (!call.done) {
        call.item.setText(`${callText(call.call, call.args)} → ${err?.message ?? err}`);
        call.item.setState("failed");
      }
    throw err;
  }
  const final = await runner.finalChatCompletion(); // rejects after Stop
  answer ??= addMessage("assistant", final.choices[0]?.message.content ?? "");
  answer.setState("done");
  answer.setMeta([
    ["Rounds", String(runner.completions.length), "rounds"],
    ["Tool calls", String(calls.size), "calls"],
    ["Tokens", tokens(final.usage), "tokens"],
    ["End", final.choices[0]?.finish_reason ?? "—", "end"],
  ]);
  return runner.messages.slice(request.messages.length);
}

/** An error bubble that says what failed and, for a backend that refuses tools, what to do instead. */
export function showError(err) {
  const lines = [`${err?.message ?? err}`];
  if (err?.param) lines.push(`Parameter: ${err.param}`);
  if (err?.status === 400 && ["tools", "tool_choice", "response_format"].includes(err.param)) {
    lines.push(
      "This backend refused it: pick a model whose backend supports tools and JSON output, or set Example back to Chat.",
    );
  }
  if (typeof err?.content === "string") lines.push(`The model answered: ${err.content}`);
  const bubble = addMessage("error", lines.join("\n"));
  bubble.setState("error");
  if (err?.requestId) bubble.item.dataset.requestId = err.requestId;
  return bubble;
}
