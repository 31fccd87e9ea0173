// The Petrel playground: pick a model, set sampling, chat with streaming through @petrel/sdk, stop an
// answer mid-stream, see time-to-first-token and tokens/s per answer, copy the request as code.
// Plain modules and the SDK bundle (public/generated, built by scripts/build-playground.mjs): no framework.

import { Petrel } from "./generated/petrel-sdk.js";
import { addMessage, clearMessages, setStatus } from "./lib/render.js";
import { apiKey, initSettings, samplingParams, systemPrompt } from "./lib/settings.js";
import { curlSnippet, sdkSnippet } from "./lib/snippets.js";

const baseURL = `${location.origin}/v1`;
const MODEL_STORE = "petrel.playground.model";
const el = (id) => /** @type {any} */ (document.getElementById(id));

/** @type {{ role: "user" | "assistant", content: string }[]} */
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

/** The request for the conversation so far plus `pending` (the message box). */
function buildRequest(pending) {
  const messages = [];
  const system = systemPrompt();
  if (system) messages.push({ role: "system", content: system });
  messages.push(...conversation);
  if (pending) messages.push({ role: "user", content: pending });
  return {
    model: el("model").value,
    messages,
    ...samplingParams(),
    stream: true,
    stream_options: { include_usage: true },
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

async function send(text) {
  const { model, messages, stream: _s, stream_options: _o, ...params } = buildRequest(text);
  if (!model) return setStatus("Pick a model first", "error");
  conversation.push({ role: "user", content: text });
  addMessage("user", text);
  const bubble = addMessage("assistant");
  bubble.setState("streaming");
  const controller = new AbortController();
  setRunning(controller);
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
    const options = { signal: controller.signal };
    const stream = await client().chat.completions.stream({ model, messages, ...params }, options);
    bubble.item.dataset.requestId = stream.requestId ?? "";
    await readAnswer(stream, bubble, t);
    settle(bubble, t, controller.signal.aborted);
  } catch (err) {
    if (controller.signal.aborted) return settle(bubble, t, true);
    conversation.pop();
    bubble.item.remove();
    addMessage("error", `${err?.message ?? err}`).setState("error");
    el("prompt").value ||= text;
    setStatus("Request failed", "error");
  } finally {
    setRunning(null);
  }
}

function stop() {
  if (!running) return;
  running.abort();
  setStatus("Stopping…");
}

function openCodeDialog() {
  const request = buildRequest(el("prompt").value.trim());
  const withKey = apiKey() !== "";
  el("curl-code").textContent = curlSnippet(baseURL, request, withKey);
  el("sdk-code").textContent = sdkSnippet(baseURL, request, withKey);
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
