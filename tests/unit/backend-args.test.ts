// The backend server's flags (server/backend-args.ts): defaults, the batching options, and a usage
// error naming the flag for bad input.
import { describe, expect, it } from "vitest";
import { parseBackendArgs, UsageError } from "../../service/src/server/backend-args.js";

describe("backend server flags", () => {
  it("fills the defaults around --model", () => {
    expect(parseBackendArgs(["--model", "models/tiny-random"])).toEqual({
      modelDir: "models/tiny-random",
      modelId: undefined,
      host: "127.0.0.1",
      port: 9101,
      provider: "cpu",
      variant: undefined,
      batching: { maxBatchSize: 8, maxKvTokens: undefined, prefillChunk: undefined },
      threads: undefined,
      drainTimeoutMs: 30_000,
      insecureOpen: false,
    });
  });

  it("reads every flag", () => {
    const args =
      "--model m --model-id x --host 0.0.0.0 --port 0 --provider cuda --variant new-kv --threads 2";
    const more = "--batch-size 1 --max-kv-tokens 4096 --prefill-chunk 16 --drain-timeout-ms 0";
    expect(parseBackendArgs(`${args} ${more}`.split(" "))).toMatchObject({
      modelId: "x",
      host: "0.0.0.0",
      port: 0,
      provider: "cuda",
      variant: "new-kv",
      threads: 2,
      batching: { maxBatchSize: 1, maxKvTokens: 4096, prefillChunk: 16 },
      drainTimeoutMs: 0,
    });
  });

  it.each([
    [[], /--model is required/],
    [["--model", "m", "--provider", "tpu"], /--provider must be cpu or cuda/],
    [["--model", "m", "--variant", "fp16"], /--variant must be one of/],
    [["--model", "m", "--port", "70000"], /--port must be a port number/],
    [["--model", "m", "--batch-size", "0"], /--batch-size must be an integer ≥ 1/],
    [["--model", "m", "--threads", "two"], /--threads must be an integer/],
  ])("refuses %j with a usage error naming the flag", (args, message) => {
    expect(() => parseBackendArgs(args)).toThrow(UsageError);
    expect(() => parseBackendArgs(args)).toThrow(message);
  });
});
