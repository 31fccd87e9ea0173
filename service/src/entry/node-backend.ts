// Petrel backend server (Node): `npm run backend -- --model models/<name> [--port 9101] …` (flags in
// server/backend-args.ts). Bearer keys for clients (the edge) come from PETREL_API_KEYS
// (comma-separated); PETREL_REQUEST_LOG=off, PETREL_LOG_PROMPTS=1, PETREL_METRICS_TOKEN as on the gateway.
import type { RequestRecord } from "../http/index.js";
import { BACKEND_USAGE, parseBackendArgs, UsageError } from "../server/backend-args.js";
import { startBackendServer } from "../server/backend-server.js";
import { batchedJsonLines } from "../server/log-sink.js";

let args: ReturnType<typeof parseBackendArgs>;
try {
  args = parseBackendArgs(process.argv.slice(2));
} catch (err) {
  if (!(err instanceof UsageError || (err as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")))
    throw err;
  console.error(`petrel backend: ${(err as Error).message}\n${BACKEND_USAGE}`);
  process.exit(2);
}

const { drainTimeoutMs, ...options } = args;
const server = await startBackendServer({
  ...options,
  apiKeys: process.env.PETREL_API_KEYS?.split(",").filter(Boolean),
  requestLog: process.env.PETREL_REQUEST_LOG === "off" ? undefined : batchedJsonLines<RequestRecord>().log,
  logPrompts: process.env.PETREL_LOG_PROMPTS === "1",
  metricsToken: process.env.PETREL_METRICS_TOKEN || undefined,
});
// Tests and supervisors read this line to learn the URL (with --port 0, the port picked).
console.log(
  `petrel backend listening on ${server.url} (model ${server.engine.info.id}, provider ${options.provider})`,
);

let stopping = false;
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    console.log(`petrel backend: ${signal}, draining`);
    server.drain(drainTimeoutMs).then(
      () => process.exit(0),
      (err) => {
        console.error(err);
        process.exit(1);
      },
    );
  });
}
