// The backend server's command line, parsed and checked into BackendServerOptions (entry/node-backend.ts
// adds what comes from the environment). Bad input throws a UsageError whose message names the flag.
import { parseArgs } from "node:util";
import type { BackendServerOptions } from "./backend-server.js";

export const BACKEND_USAGE =
  "usage: npm run backend -- --model models/<name> [--model-id id] [--port 9101] [--host 127.0.0.1]\n" +
  "  [--provider cpu|cuda] [--variant int8|fp32|new-kv|new-kv-int8] [--threads n] [--drain-timeout-ms 30000]\n" +
  "  [--batch-size 8] [--max-kv-tokens n] [--prefill-chunk 32]   (--batch-size 1 = one request at a time)\n" +
  "  [--insecure-open]   (serve a non-loopback --host without keys)";

export class UsageError extends Error {
  override readonly name = "UsageError";
}

type ArgOptions = Pick<
  BackendServerOptions,
  "modelDir" | "modelId" | "host" | "port" | "provider" | "variant" | "batching" | "threads"
>;

const VARIANTS = ["int8", "fp32", "new-kv", "new-kv-int8"] as const;

export function parseBackendArgs(
  args: string[],
): ArgOptions & { drainTimeoutMs: number; insecureOpen: boolean } {
  const { values } = parseArgs({
    args,
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
      "insecure-open": { type: "boolean", default: false },
    },
  });
  const count = (name: string, raw: string | undefined, min = 1): number | undefined => {
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min)
      throw new UsageError(`--${name} must be an integer ≥ ${min}, not ${raw}`);
    return n;
  };
  if (!values.model) throw new UsageError("--model is required");
  const { provider, variant } = values;
  if (provider !== "cpu" && provider !== "cuda")
    throw new UsageError(`--provider must be cpu or cuda, not ${provider}`);
  if (variant !== undefined && !(VARIANTS as readonly string[]).includes(variant))
    throw new UsageError(`--variant must be one of ${VARIANTS.join(", ")}, not ${variant}`);
  const port = count("port", values.port, 0) as number;
  if (port > 65535) throw new UsageError(`--port must be a port number, not ${values.port}`);
  return {
    modelDir: values.model,
    modelId: values["model-id"],
    host: values.host,
    port,
    provider,
    variant: variant as (typeof VARIANTS)[number] | undefined,
    batching: {
      maxBatchSize: count("batch-size", values["batch-size"]),
      maxKvTokens: count("max-kv-tokens", values["max-kv-tokens"]),
      prefillChunk: count("prefill-chunk", values["prefill-chunk"]),
    },
    threads: count("threads", values.threads),
    drainTimeoutMs: count("drain-timeout-ms", values["drain-timeout-ms"], 0) as number,
    insecureOpen: values["insecure-open"] ?? false,
  };
}
