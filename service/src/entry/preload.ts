// Whether the Worker builds its embedded engine while the isolate starts (PETREL_PRELOAD=1) instead
// of on the first request that needs it (the default). workerd lets the global scope instantiate
// ORT's precompiled wasm and create the session (CPU work, no I/O) and runs that promise chain to the
// end before the isolate serves anything: the first request then finds the engine built, and on
// Cloudflare, which starts an isolate as the TLS handshake begins, the build leaves its path. The
// cost: isolate start takes longer (every request waits for it, /health too) and counts against the
// platform's startup CPU limit. Never when no configured model uses the embedded backend (a
// gateway-only Worker would pay for a wasm heap it never uses).
export function preloadWanted(env: Record<string, unknown>): boolean {
  if (env.PETREL_PRELOAD !== "1") return false;
  const backends = env.PETREL_BACKENDS;
  if (backends === undefined || backends === "") return true; // the bundled model in-worker only
  const text = typeof backends === "string" ? backends : JSON.stringify(backends);
  return /"kind"\s*:\s*"embedded"/.test(text);
}
