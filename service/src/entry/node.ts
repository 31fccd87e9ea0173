// Petrel backend server (Node): `npm run backend -- --model models/<name> --port 9101
// [--host 127.0.0.1] [--provider cpu|cuda] [--variant int8|fp32|new-kv|new-kv-int8] [--threads n] [--drain-timeout-ms 30000]
// [--batch-size 8] [--max-kv-tokens n] [--prefill-chunk 32]`. --batch-size 1 = one request at a time.
// Bearer keys for clients (the edge) come from PETREL_API_KEYS (comma-separated).
import { parseArgs } from "node:util";
import { jsonLineLog } from "../http/index.js";
import { startBackendServer } from "../server/backend-server.js";

const { values } = parseArgs({
  options: {
    model: { type: "string" },
    "model-id": { type: "string" },
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string", default: "9101" },
    provider: { type: "string", default: "cpu" },
    variant: { type: "string" },
    "drain-timeout-ms": { type: "string", default: "30000" },
    threads: { type: "string" },
    "batch-size": { type: "string", default: "8" },
    "max-kv-tokens": { type: "string" },
    "prefill-chunk": { type: "string" },
  },
});

function usage(message: string): never {
  console.error(`petrel backend: ${message}`);
  console.error(
    "usage: npm run backend -- --model models/<name> [--port 9101] [--host 127.0.0.1] [--provider cpu|cuda]",
  );
  process.exit(2);
}

if (!values.model) usage("--model is required");
if (values.provider !== "cpu" && values.provider !== "cuda")
  usage(`--provider must be cpu or cuda, not ${values.provider}`);
const variants = ["int8", "fp32", "new-kv", "new-kv-int8"];
if (values.variant !== undefined && !variants.includes(values.variant))
  usage(`--variant must be one of ${variants.join(", ")}, not ${values.variant}`);
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535)
  usage(`--port must be a port number, not ${values.port}`);

const count = (name: "batch-size" | "max-kv-tokens" | "prefill-chunk"): number | undefined => {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) usage(`--${name} must be a positive integer, not ${raw}`);
  return n;
};
const batchSize = count("batch-size") ?? 8;

const server = await startBackendServer({
  modelDir: values.model,
  modelId: values["model-id"],
  host: values.host,
  port,
  provider: values.provider,
  variant: values.variant as "int8" | "fp32" | "new-kv" | "new-kv-int8" | undefined,
  batching: {
    maxBatchSize: batchSize,
    maxKvTokens: count("max-kv-tokens"),
    prefillChunk: count("prefill-chunk"),
  },
  threads: values.threads === undefined ? undefined : Number(values.threads),
  apiKeys: process.env.PETREL_API_KEYS?.split(",").filter(Boolean),
  requestLog: process.env.PETREL_REQUEST_LOG === "off" ? undefined : jsonLineLog,
  logPrompts: process.env.PETREL_LOG_PROMPTS === "1",
  metricsToken: process.env.PETREL_METRICS_TOKEN || undefined,
});
// Tests and supervisors read this line to learn the URL (with --port 0, the port picked).
console.log(
  `petrel backend listening on ${server.url} (model ${server.engine.info.id}, provider ${values.provider})`,
);

let stopping = false;
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    console.log(`petrel backend: ${signal}, draining`);
    server.drain(Number(values["drain-timeout-ms"])).then(
      () => process.exit(0),
      (err) => {
        console.error(err);
        process.exit(1);
      },
    );
  });
}
