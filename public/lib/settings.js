// The settings form: read it into request parameters, show slider values, and remember everything
// but the key in localStorage (the key stays in sessionStorage, i.e. this tab only).
const STORE = "petrel.playground.settings";
const KEY_STORE = "petrel.playground.apiKey";

const $ = (id) => /** @type {HTMLInputElement} */ (document.getElementById(id));

function showValues() {
  $("temperature-value").textContent = Number($("temperature").value).toFixed(2);
  $("top-p-value").textContent = Number($("top-p").value).toFixed(2);
}

export function initSettings(onChange) {
  try {
    const saved = JSON.parse(localStorage.getItem(STORE) ?? "{}");
    for (const id of ["system", "temperature", "top-p", "max-tokens", "seed"]) {
      if (typeof saved[id] === "string") $(id).value = saved[id];
    }
    $("api-key").value = sessionStorage.getItem(KEY_STORE) ?? "";
  } catch {
    // Storage can be off (private mode, policies); the page works without it.
  }
  showValues();
  const form = document.getElementById("settings");
  form?.addEventListener("input", (event) => {
    showValues();
    try {
      const values = {};
      for (const id of ["system", "temperature", "top-p", "max-tokens", "seed"]) values[id] = $(id).value;
      localStorage.setItem(STORE, JSON.stringify(values));
      sessionStorage.setItem(KEY_STORE, $("api-key").value);
    } catch {
      // see above
    }
    onChange(/** @type {HTMLElement} */ (event.target).id);
  });
}

export const apiKey = () => $("api-key").value.trim();

/** Sampling parameters for the wire (snake_case), leaving out what is unset. */
export function samplingParams() {
  const params = {
    temperature: Number($("temperature").value),
    top_p: Number($("top-p").value),
    max_tokens: Math.max(1, Math.floor(Number($("max-tokens").value) || 256)),
  };
  const seed = $("seed").value.trim();
  if (seed !== "" && Number.isInteger(Number(seed))) params.seed = Number(seed);
  return params;
}

export const systemPrompt = () => $("system").value.trim();
