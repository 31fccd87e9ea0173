// createMetrics in-process: how one request record becomes samples (TPOT is the mean gap after the
// first token), bounded route labels, per-backend gauges read at scrape time, and the /metrics token.
import { describe, expect, it } from "vitest";
import type { BackendStatus } from "../../service/src/gateway/index.js";
import type { RequestRecord } from "../../service/src/http/index.js";
import { createMetrics, withMetricsRoute } from "../../service/src/server/metrics.js";
import { parsePrometheusText, sumOf } from "./helpers/prom-text.js";

const record = (extra: Partial<RequestRecord>): RequestRecord => ({
  msg: "request",
  level: "info",
  request_id: "r1",
  method: "POST",
  path: "/v1/chat/completions",
  status: 200,
  key_id: null,
  model: "m",
  backend: "b1",
  stream: true,
  outcome: "ok",
  prompt_tokens: 10,
  completion_tokens: 11,
  queue_ms: 5,
  ttft_ms: 100,
  latency_ms: 1100,
  ...extra,
});

const backend = (extra: Partial<BackendStatus>): BackendStatus => ({
  id: "b1",
  kind: "petrel",
  outstanding: 0,
  healthy: true,
  circuit: "closed",
  circuitTrips: 0,
  trials: { passed: 0, failed: 0 },
  ...extra,
});

async function families(metrics: ReturnType<typeof createMetrics>) {
  return parsePrometheusText(await (await metrics.scrape()).text());
}

describe("metrics registry (in-process)", () => {
  it("labels only the models it serves: a thousand unknown model names add no series", async () => {
    const metrics = createMetrics({ status: () => ({ m: [backend({})] }), processMetrics: false });
    for (let i = 0; i < 1000; i++) {
      metrics.observe(record({ model: `no-such-model-${i}`, status: 404, outcome: "error", backend: null }));
    }
    metrics.observe(record({}));
    const text = await (await metrics.scrape()).text();
    expect(text).not.toContain("no-such-model");
    const f = await families(metrics);
    const total = "petrel_requests_total";
    expect(sumOf(f, total, total, { model: "", status: "404" })).toBe(1000);
    expect(sumOf(f, total, total, { model: "m", status: "200" })).toBe(1);
  });

  it("turns a record into counters and histograms; TPOT = (latency − ttft) / (tokens − 1)", async () => {
    const metrics = createMetrics({ status: () => ({ m: [] }), processMetrics: false });
    metrics.observe(record({}));
    const f = await families(metrics);
    expect(sumOf(f, "petrel_requests_total", "petrel_requests_total", { outcome: "ok", backend: "b1" })).toBe(
      1,
    );
    expect(sumOf(f, "petrel_prompt_tokens_total", "petrel_prompt_tokens_total")).toBe(10);
    expect(sumOf(f, "petrel_generation_tokens_total", "petrel_generation_tokens_total")).toBe(11);
    const tpot = "petrel_time_per_output_token_seconds";
    expect(sumOf(f, tpot, `${tpot}_sum`)).toBeCloseTo(0.1, 9);
    const ttft = "petrel_time_to_first_token_seconds";
    expect(sumOf(f, ttft, `${ttft}_bucket`, { le: "0.1" })).toBe(1);
    expect(sumOf(f, ttft, `${ttft}_bucket`, { le: "0.05" })).toBe(0);
  });

  it("puts unknown paths under route=other and skips token series for requests without a model", async () => {
    const metrics = createMetrics({ status: () => ({}), processMetrics: false });
    metrics.observe(
      record({ path: "/v1/../../etc/passwd", model: null, status: 404, outcome: "invalid", ttft_ms: null }),
    );
    const f = await families(metrics);
    const routes = f.get("petrel_requests_total")?.samples.map((s) => s.labels.route);
    expect(routes).toEqual(["other"]);
    expect(sumOf(f, "petrel_generation_tokens_total", "petrel_generation_tokens_total")).toBe(0);
  });

  it("reads queue depth, outstanding requests, health and circuit state at scrape time", async () => {
    let status: Record<string, BackendStatus[]> = {
      m: [
        backend({ load: { queued: 3, active: 1 } }),
        backend({ id: "b2", circuit: "half-open", healthy: false }),
      ],
    };
    const metrics = createMetrics({ status: () => status, processMetrics: false });
    let f = await families(metrics);
    expect(sumOf(f, "petrel_queue_depth", "petrel_queue_depth", { backend: "b1" })).toBe(3);
    expect(
      sumOf(f, "petrel_circuit_state", "petrel_circuit_state", { backend: "b2", state: "half-open" }),
    ).toBe(1);
    expect(sumOf(f, "petrel_backend_healthy", "petrel_backend_healthy", { backend: "b2" })).toBe(0);
    status = {
      m: [backend({ circuit: "open", outstanding: 2, circuitTrips: 3, trials: { passed: 2, failed: 5 } })],
    };
    f = await families(metrics);
    expect(sumOf(f, "petrel_circuit_state", "petrel_circuit_state", { backend: "b1", state: "open" })).toBe(
      1,
    );
    expect(sumOf(f, "petrel_backend_outstanding_requests", "petrel_backend_outstanding_requests")).toBe(2);
    expect(sumOf(f, "petrel_circuit_trips_total", "petrel_circuit_trips_total", { backend: "b1" })).toBe(3);
    const trials = "petrel_circuit_trials_total";
    expect(sumOf(f, trials, trials, { backend: "b1", result: "failed" })).toBe(5);
    expect(sumOf(f, trials, trials, { backend: "b1", result: "passed" })).toBe(2);
    // A backend that left the config leaves no stale series behind.
    expect(f.get("petrel_circuit_state")?.samples.some((s) => s.labels.backend === "b2")).toBe(false);
  });

  it("answers GET /metrics only, and only with the token when one is set", async () => {
    const metrics = createMetrics({ status: () => ({}), processMetrics: false });
    const fetch = withMetricsRoute(() => new Response("app"), metrics, "scrape-token");
    expect((await fetch(new Request("http://x/metrics"))).status).toBe(401);
    const wrong = new Request("http://x/metrics", { headers: { authorization: "Bearer nope" } });
    expect((await fetch(wrong)).status).toBe(401);
    const right = new Request("http://x/metrics", { headers: { authorization: "Bearer scrape-token" } });
    expect((await fetch(right)).status).toBe(200);
    expect(await (await fetch(new Request("http://x/v1/models"))).text()).toBe("app");
    expect(await (await fetch(new Request("http://x/metrics", { method: "POST" }))).text()).toBe("app");
  });
});
