// The conversation on screen: one <li> per message, the assistant's text growing as tokens arrive,
// and a line of numbers under each answer. Model output only ever goes in as text, never as HTML.

const list = () => /** @type {HTMLOListElement} */ (document.getElementById("messages"));

export function clearMessages() {
  for (const item of [...list().querySelectorAll("li:not(#empty-hint)")]) item.remove();
  document.getElementById("empty-hint")?.removeAttribute("hidden");
}

function scrollToEnd() {
  const chat = document.getElementById("chat");
  chat?.scrollTo({ top: chat.scrollHeight });
}

/** Appends a message bubble; returns handles to grow its text and fill its stats line. */
export function addMessage(role, text = "") {
  document.getElementById("empty-hint")?.setAttribute("hidden", "");
  const item = document.createElement("li");
  item.className = `message ${role}`;
  item.dataset.role = role;
  const who = document.createElement("span");
  who.className = "who";
  who.textContent = { user: "You", assistant: "Assistant", tool: "Tool" }[role] ?? "Error";
  const body = document.createElement("div");
  body.className = "text";
  body.textContent = text;
  const meta = document.createElement("p");
  meta.className = "meta";
  item.append(who, body, meta);
  list().append(item);
  scrollToEnd();
  return {
    item,
    append(delta) {
      body.textContent += delta;
      scrollToEnd();
    },
    setText(value) {
      body.textContent = value;
    },
    setState(state) {
      item.dataset.state = state;
    },
    setMeta(parts) {
      meta.replaceChildren(
        ...parts.map(([label, value, name]) => {
          const span = document.createElement("span");
          span.className = "stat";
          if (name) span.dataset.stat = name;
          const strong = document.createElement("strong");
          strong.textContent = value;
          span.append(`${label} `, strong);
          return span;
        }),
      );
    },
  };
}

export function setStatus(text, tone = "info") {
  const status = document.getElementById("status");
  if (!status) return;
  status.textContent = text;
  status.dataset.tone = tone;
}
