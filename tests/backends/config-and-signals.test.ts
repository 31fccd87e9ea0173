// Config validation (clear errors at start) and parsing of backends' load signals.
import { describe, expect, it } from "vitest";
import { GatewayConfigError, parseGatewayConfig } from "../../service/src/gateway/config.js";
import { parseMetricsLoad, parsePetrelLoad } from "../../service/src/gateway/load-signals.js";

const valid = {
  timeouts: { firstTokenMs: 5_000 },
  models: {
    "petrel-mini": {
      contextLength: 512,
      backends: [
        { url: "http://10.0.0.1:9101/v1/", kind: "petrel", weight: 2, timeouts: { idleMs: 1_000 } },
        {
          url: "https://vllm.internal:8000",
          kind: "vllm",
          apiKey: "VLLM_KEY",
          upstreamModel: "org/petrel-mini",
        },
        { kind: "embedded" },
      ],
    },
  },
};

describe("parseGatewayConfig", () => {
  it("fills defaults, inherits timeouts, normalises URLs and resolves secrets", () => {
    const config = parseGatewayConfig(JSON.stringify(valid), { VLLM_KEY: "sk-1" });
    const [petrel, vllm, embedded] = config.models[0]?.backends ?? [];
    expect(petrel?.url).toBe("http://10.0.0.1:9101");
    expect(petrel?.weight).toBe(2);
    expect(petrel?.timeouts).toEqual({
      connectMs: 5_000,
      firstByteMs: 5_000,
      firstTokenMs: 5_000,
      idleMs: 1_000,
      totalMs: 300_000,
    });
    expect(vllm?.apiKey).toBe("sk-1");
    expect(vllm?.upstreamModel).toBe("org/petrel-mini");
    expect(embedded?.url).toBeUndefined();
    expect(config.retry.maxAttempts).toBe(3);
    expect(config.models[0]?.contextLength).toBe(512);
  });

  it("timeouts: built-in < built-in per kind < top level < kinds.<kind> < model < backend", () => {
    const backends = [
      { url: "http://p", kind: "petrel" },
      { url: "http://v", kind: "vllm" },
    ];
    const defaults = parseGatewayConfig({ models: { m: { backends } } }).models[0]?.backends ?? [];
    // Petrel's backend server writes a comment with its headers; vLLM sends nothing until a token.
    expect(defaults.map((b) => [b.timeouts.firstByteMs, b.timeouts.firstTokenMs])).toEqual([
      [5_000, 30_000],
      [30_000, 30_000],
    ]);
    const layered = parseGatewayConfig({
      timeouts: { firstTokenMs: 20_000, idleMs: 9_000 },
      kinds: { vllm: { timeouts: { firstTokenMs: 90_000, firstByteMs: 90_000 } } },
      models: {
        m: {
          timeouts: { idleMs: 7_000 },
          backends: [...backends, { url: "http://w", kind: "vllm", timeouts: { firstTokenMs: 45_000 } }],
        },
      },
    }).models[0]?.backends;
    expect(layered?.map(({ timeouts: t }) => [t.firstByteMs, t.firstTokenMs, t.idleMs])).toEqual([
      [5_000, 20_000, 7_000],
      [90_000, 90_000, 7_000],
      [45_000, 45_000, 7_000], // first byte never waits longer than the first token
    ]);
  });

  const cases: [string, unknown, RegExp][] = [
    [
      "unknown kind in kinds",
      { kinds: { triton: {} }, models: { m: { backends: [{ url: "http://x" }] } } },
      /\$\.kinds\.triton: unknown key/,
    ],
    ["bad JSON", "{models:", /not valid JSON/],
    ["no models", { models: {} }, /\$\.models: must be an object/],
    ["empty pool", { models: { m: { backends: [] } } }, /models\.m\.backends: must be a non-empty array/],
    [
      "unknown kind",
      { models: { m: { backends: [{ url: "http://x", kind: "triton" }] } } },
      /backends\[0\]\.kind: must be one of/,
    ],
    ["missing url", { models: { m: { backends: [{ kind: "vllm" }] } } }, /backends\[0\]\.url: is required/],
    ["bad url", { models: { m: { backends: [{ url: "not a url" }] } } }, /url: is not a valid URL/],
    ["ftp url", { models: { m: { backends: [{ url: "ftp://x" }] } } }, /must be http\(s\)/],
    [
      "unset secret",
      { models: { m: { backends: [{ url: "http://x", apiKey: "NOPE" }] } } },
      /names secret NOPE, which is not set/,
    ],
    [
      "typo key",
      { models: { m: { backends: [{ url: "http://x", wieght: 2 }] } } },
      /backends\[0\]\.wieght: unknown key/,
    ],
    [
      "zero weight",
      { models: { m: { backends: [{ url: "http://x", weight: 0 }] } } },
      /weight: must be a number/,
    ],
    [
      "bad timeout",
      { models: { m: { backends: [{ url: "http://x", timeouts: { idleMs: "5s" } }] } } },
      /timeouts\.idleMs/,
    ],
    [
      "too many attempts",
      { retry: { maxAttempts: 100 }, models: { m: { backends: [{ url: "http://x" }] } } },
      /maxAttempts/,
    ],
    [
      "duplicate ids",
      {
        models: {
          m: {
            backends: [
              { id: "a", url: "http://x" },
              { id: "a", url: "http://y" },
            ],
          },
        },
      },
      /duplicate backend id/,
    ],
  ];
  it.each(cases)("rejects %s with a clear message", (_name, input, message) => {
    expect(() => parseGatewayConfig(input)).toThrow(GatewayConfigError);
    expect(() => parseGatewayConfig(input)).toThrow(message);
  });
});

describe("load signals", () => {
  it("reads Petrel's load report", () => {
    expect(parsePetrelLoad({ queued: 3, active: 1, capacity: 1 })).toEqual({
      queued: 3,
      active: 1,
      capacity: 1,
    });
    expect(parsePetrelLoad({ busy: true })).toBeUndefined();
  });

  it("reads vLLM /metrics, summing label sets", () => {
    const text = [
      "# HELP vllm:num_requests_waiting Number of requests waiting.",
      "# TYPE vllm:num_requests_waiting gauge",
      'vllm:num_requests_waiting{engine="0",model_name="m"} 4.0',
      'vllm:num_requests_waiting{engine="1",model_name="m"} 2.0',
      'vllm:num_requests_running{engine="0",model_name="m"} 8.0',
      'vllm:gpu_cache_usage_perc{engine="0",model_name="m"} 0.93',
    ].join("\n");
    expect(parseMetricsLoad(text)).toEqual({ queued: 6, active: 8, kvCacheUsage: 0.93 });
  });

  it("reads TGI's queue and ignores unrelated metrics", () => {
    expect(parseMetricsLoad("tgi_queue_size 5\ntgi_batch_current_size 2\n")).toEqual({
      queued: 5,
      active: 2,
      kvCacheUsage: undefined,
    });
    expect(parseMetricsLoad("process_cpu_seconds_total 12\n")).toBeUndefined();
  });
});
