// The process environment every `wrangler dev` that tests and benches start runs with (`npm start`
// sets the same two in package.json). wrangler 4 turns on two local-only features by default that
// cost each request more than Petrel's Worker does:
// - local observability (X_LOCAL_OBSERVABILITY) stores a trace of every request in a SQLite
//   Durable Object, committed with an fsync on every request: about 3 ms added to an empty
//   Worker's response on this machine;
// - the local explorer (X_LOCAL_EXPLORER), a UI for browsing local KV/D1/R2 state.
// Neither exists in production; Petrel's own request log and Server-Timing stay on.
export const wranglerDevEnv = {
  WRANGLER_SEND_METRICS: "false",
  CI: "1",
  X_LOCAL_OBSERVABILITY: "false",
  X_LOCAL_EXPLORER: "false",
} as const;
