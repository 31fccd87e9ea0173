// The Petrel playground: pick a model, set sampling, chat with streaming through @petrel/sdk, stop an
// answer mid-stream, see time-to-first-token and tokens/s per answer, copy the request as code; or
// try the structured-output and tools examples (lib/examples.js).
// Plain modules and the SDK bundle (public/generated, built by scripts/build-playground.mjs): no framework.

import { Petrel } from "./generated/petrel-sdk.js";
import { showError, structuredAnswer, toolsAnswer } from "./lib/example-ui.js";
import { DEFAULT_SCHEMA, EXAMPLES, exampleParams } from "./lib/examples.js";
import { addMessage, clearMessages, setStatus } from "./lib/render.js";
import { apiKey, initSettings, samplingParams, systemPrompt } from "./lib/settings.js";
import { curlSnippet, sdkSnippet } from "./lib/snippets.js";

const baseURL = `${location.origin}/v1`;
const MODEL_STORE = "petrel.playground.model";
const el = (id) => /** @type {any} */ (document.getElementById(id));

/** The chat so far, as sent: user and assistant turns, and a tool loop's calls and results. */
let conversation = [];
/** @type {AbortController | null} */
let running = null;

// One retry at most: a person is waiting, and the page shows errors plainly.
const client = () => new Petrel({ baseURL, apiKey: apiKey() || null, maxRetries: 1 });

async function loadModels() {
  const select = el("model");
  try {
    const { data } = await client().models.list();
    const previous = select.value || localStorage.getItem(MODEL_STORE);
    select.replaceChildren(...data.map((m) => new Option(m.id, m.id)));
    if (data.some((m) => m.id === previous)) select.value = previous;
    setStatus(
      data.length > 0 ? `${data.length} model${data.length === 1 ? "" : "s"} available` : "No models served",
      "ok",
    );
  } catch (err) {
    select.replaceChildren();
    const hint = err?.status === 401 ? " — enter an API key in Settings" : "";
    setStatus(`Could not list models: ${err?.message ?? err}${hint}`, "error");
  }
}

const mode = () => el("example").value;

/** The request for the conversation so far plus `pending` (the message box); throws on a bad schema. */
function buildRequest(pending) {
  const messages = [];
  const system = systemPrompt();
  if (system) messages.push({ role: "system", content: system });
  messages.push(...conversation);
  if (pending) messages.push({ role: "user", content: pending });
  const streaming = mode() === "structured" ? {} : { stream: true, stream_options: { include_usage: true } };
  return {
    model: el("model").value,
    messages,
    ...samplingParams(),
    ...exampleParams(mode(), el("schema").value),
    ...streaming,
  };
}

function setRunning(controller) {
  running = controller;
  el("send").disabled = controller !== null;
  el("stop").disabled = controller === null;
  el("composer").setAttribute("aria-busy", String(controller !== null));
}

const ms = (value) => `${Math.round(value)} ms`;

function showStats(bubble, t) {
  const parts = [];
  if (t.first !== null) parts.push(["TTFT", ms(t.first - t.start), "ttft"]);
  const rate = t.tokens > 1 && t.last > t.first ? ((t.tokens - 1) * 1000) / (t.last - t.first) : null;
  parts.push(["Speed", rate === null ? "—" : `${rate.toFixed(1)} tok/s`, "tps"]);
  parts.push(["Tokens", `${t.usage ? "" : "≈"}${t.tokens}`, "tokens"]);
  parts.push(["End", t.stopped ? "stopped" : (t.finish ?? "—"), "end"]);
  bubble.setMeta(parts);
}

/** Reads the stream into the bubble, keeping times, token count and the text in `t`. */
async function readAnswer(stream, bubble, t) {
  for await (const chunk of stream) {
    const choice = chunk.choices[0];
    const delta = choice?.delta?.content ?? "";
    if (delta) {
      t.first ??= performance.now();
      t.last = performance.now();
      t.tokens += 1;
      t.answer += delta;
      bubble.append(delta);
      if (t.tokens % 8 === 1) showStats(bubble, t);
    }
    if (choice?.finish_reason) t.finish = choice.finish_reason;
    if (chunk.usage) t.usage = chunk.usage;
  }
}

/** The answer is over (finished or stopped): it joins the conversation, even when cut short. */
function settle(bubble, t, stopped) {
  t.stopped = stopped;
  if (t.usage) t.tokens = t.usage.completion_tokens;
  conversation.push({ role: "assistant", content: t.answer });
  if (stopped && !t.answer) bubble.setText("(stopped)");
  bubble.setState(stopped ? "stopped" : "done");
  if (t.first !== null || !stopped) showStats(bubble, t);
  setStatus(stopped ? "Stopped" : "Done", "ok");
}

/** Streams a chat answer into its bubble (the Chat example). */
async function chatAnswer(request, signal) {
  const { model, messages, stream: _s, stream_options: _o, ...params } = request;
  const bubble = addMessage("assistant");
  bubble.setState("streaming");
  const t = {
    start: performance.now(),
    first: null,
    last: null,
    tokens: 0,
    answer: "",
    usage: null,
    finish: null,
  };
  try {
    const stream = await client().chat.completions.stream({ model, messages, ...params }, { signal });
    bubble.item.dataset.requestId = stream.requestId ?? "";
    await readAnswer(stream, bubble, t);
  } catch (err) {
    if (!signal.aborted) {
      bubble.item.remove();
      throw err;
    }
  }
  settle(bubble, t, signal.aborted);
}

async function send(text) {
  let request;
  try {
    request = buildRequest(text);
  } catch (err) {
    return setStatus(err.message, "error");
  }
  if (!request.model) return setStatus("Pick a model first", "error");
  const example = mode();
  conversation.push({ role: "user", content: text });
  addMessage("user", text);
  const controller = new AbortController();
  setRunning(controller);
  try {
    if (example === "chat") return await chatAnswer(request, controller.signal);
    const answer = example === "tools" ? toolsAnswer : structuredAnswer;
    conversation.push(...(await answer(client(), request, controller.signal)));
    setStatus("Done", "ok");
  } catch (err) {
    if (controller.signal.aborted) {
      addMessage("assistant", "(stopped)").setState("stopped");
      return setStatus("Stopped", "ok");
    }
    conversation.pop();
    showError(err);
    el("prompt").value ||= text;
    setStatus("Request failed", "error");
  } finally {
    setRunning(null);
  }
}

/** Shows the chosen example's help and schema box, and offers its sample prompt. */
function showExample() {
  const example = EXAMPLES[mode()] ?? EXAMPLES.chat;
  el("example-help").textContent = example.help;
  el("schema-field").hidden = mode() !== "structured";
  if (example.prompt && !el("prompt").value.trim()) el("prompt").value = example.prompt;
}

function stop() {
  if (!running) return;
  running.abort();
  setStatus("Stopping…");
}

function openCodeDialog() {
  let request;
  try {
    request = buildRequest(el("prompt").value.trim());
  } catch (err) {
    return setStatus(err.message, "error");
  }
  const withKey = apiKey() !== "";
  el("curl-code").textContent = curlSnippet(baseURL, request, withKey);
  el("sdk-code").textContent = sdkSnippet(baseURL, request, withKey, mode());
  el("copy-status").textContent = "";
  el("code-dialog").showModal();
}

async function copy(id) {
  const text = el(id).textContent;
  try {
    await navigator.clipboard.writeText(text);
    el("copy-status").textContent = "Copied to the clipboard.";
  } catch {
    // No clipboard permission: select it so Ctrl+C works.
    getSelection()?.selectAllChildren(el(id));
    el("copy-status").textContent = "Selected — press Ctrl+C (⌘C) to copy.";
  }
}

function wire() {
  el("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = el("prompt").value.trim();
    if (!text || running) return;
    el("prompt").value = "";
    void send(text);
  });
  el("prompt").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      el("composer").requestSubmit();
    }
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && running) stop();
  });
  el("stop").addEventListener("click", stop);
  el("clear").addEventListener("click", () => {
    if (running) stop();
    conversation = [];
    clearMessages();
    setStatus("Conversation cleared");
  });
  el("model").addEventListener("change", () => localStorage.setItem(MODEL_STORE, el("model").value));
  el("show-code").addEventListener("click", openCodeDialog);
  el("schema").value = DEFAULT_SCHEMA;
  el("example").addEventListener("change", showExample);
  for (const button of document.querySelectorAll("[data-copy]")) {
    button.addEventListener("click", () => copy(button.dataset.copy));
  }
  // On a phone the settings start folded so the conversation gets the screen.
  if (matchMedia("(max-width: 760px)").matches) el("settings-panel").open = false;
}

wire();
let keyTimer;
initSettings((id) => {
  if (id !== "api-key") return;
  clearTimeout(keyTimer);
  keyTimer = setTimeout(loadModels, 400);
});
void loadModels();
