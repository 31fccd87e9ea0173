// Petrel backend server (Node): `npm run backend -- --model models/<name> [--port 9101] …` (flags in
// server/backend-args.ts). Keys, limits and usage work as on the edge (docs/security.md: PETREL_KEYS
// or PETREL_KEYS_FILE, PETREL_LIMITS); without keys it serves a loopback host only, unless
// --insecure-open. PETREL_REQUEST_LOG=off, PETREL_LOG_PROMPTS=1, PETREL_METRICS_TOKEN as on the gateway.
import type { RequestRecord } from "../http/index.js";
import { BACKEND_USAGE, parseBackendArgs, UsageError } from "../server/backend-args.js";
import { drainOnSignals, startBackendServer } from "../server/backend-server.js";
import { batchedJsonLines } from "../server/log-sink.js";
import { nodeSecurity } from "../server/node-security.js";

let args: ReturnType<typeof parseBackendArgs>;
try {
  args = parseBackendArgs(process.argv.slice(2));
} catch (err) {
  if (!(err instanceof UsageError || (err as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")))
    throw err;
  console.error(`petrel backend: ${(err as Error).message}\n${BACKEND_USAGE}`);
  process.exit(2);
}

const { drainTimeoutMs, insecureOpen, ...options } = args;
const security = await nodeSecurity(process.env, options.host, { insecureOpen }).catch((err: Error) => {
  console.error(`petrel backend: ${err.message}`);
  process.exit(2);
});
const server = await startBackendServer({
  ...options,
  security,
  requestLog: process.env.PETREL_REQUEST_LOG === "off" ? undefined : batchedJsonLines<RequestRecord>().log,
  logPrompts: process.env.PETREL_LOG_PROMPTS === "1",
  metricsToken: process.env.PETREL_METRICS_TOKEN || undefined,
});
// Tests and supervisors read this line to learn the URL (with --port 0, the port picked).
console.log(
  `petrel backend listening on ${server.url} (model ${server.engine.info.id}, provider ${options.provider})`,
);
drainOnSignals(server, drainTimeoutMs);
