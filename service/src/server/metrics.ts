// Prometheus metrics for the Node backend server and the Node gateway (prom-client, own registry):
// request, token and timing series fed from the HTTP layer's request records, and gauges read from
// the gateway at scrape time — queue depth, in-flight requests, health and circuit state per backend.
// Names follow vLLM's where they mean the same (time to first token, time per output token).
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { BackendStatus } from "../gateway/index.js";
import type { RequestRecord } from "../http/index.js";

export { type MetricsAccess, metricsRoute, withMetricsRoute } from "./metrics-route.js";

export interface MetricsOptions {
  /** The gateway's view of its backends per model (PetrelGateway.status). */
  status: () => Record<string, BackendStatus[]>;
  /** Node process metrics (CPU, memory, event loop lag); on by default. */
  processMetrics?: boolean;
}

export interface Metrics {
  readonly registry: Registry;
  /** Feed one finished request (ObservabilityOptions.onRecord); counted by the next scrape. */
  observe(record: RequestRecord): void;
  /** The text exposition format, with its content type. */
  scrape(): Promise<Response>;
}

// Route labels come from a fixed set: a label per unknown URL would let clients grow the series.
const ROUTES = new Set(["/v1/chat/completions", "/v1/models", "/v1/load"]);
const CIRCUIT_STATES = ["closed", "open", "half-open"] as const;

const TTFT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const TPOT_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1, 2.5];
const LATENCY_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

function backendGauges(registry: Registry, status: MetricsOptions["status"]) {
  const labelNames = ["model", "backend"] as const;
  const perBackend = (fill: (set: (m: string, b: BackendStatus, v: number) => void) => void) =>
    function collect(this: Gauge<"model" | "backend">) {
      this.reset();
      fill((model, b, value) => this.set({ model, backend: b.id }, value));
    };
  const each = (visit: (model: string, b: BackendStatus) => void) => {
    for (const [model, backends] of Object.entries(status())) for (const b of backends) visit(model, b);
  };
  new Gauge({
    name: "petrel_queue_depth",
    help: "Requests waiting in a backend's queue (its own load report; 0 when it sends none).",
    labelNames,
    registers: [registry],
    collect: perBackend((set) => each((m, b) => set(m, b, b.load?.queued ?? 0))),
  });
  new Gauge({
    name: "petrel_backend_running_requests",
    help: "Requests a backend reports as running.",
    labelNames,
    registers: [registry],
    collect: perBackend((set) => each((m, b) => set(m, b, b.load?.active ?? 0))),
  });
  new Gauge({
    name: "petrel_backend_outstanding_requests",
    help: "Requests this process has in flight to a backend.",
    labelNames,
    registers: [registry],
    collect: perBackend((set) => each((m, b) => set(m, b, b.outstanding))),
  });
  new Gauge({
    name: "petrel_backend_healthy",
    help: "1 while a backend passes its health checks.",
    labelNames,
    registers: [registry],
    collect: perBackend((set) => each((m, b) => set(m, b, b.healthy ? 1 : 0))),
  });
  new Gauge({
    name: "petrel_circuit_state",
    help: "Circuit breaker state per backend: 1 for the current state, 0 for the others.",
    labelNames: [...labelNames, "state"],
    registers: [registry],
    collect() {
      this.reset();
      each((model, b) => {
        for (const state of CIRCUIT_STATES)
          this.set({ model, backend: b.id, state }, b.circuit === state ? 1 : 0);
      });
    },
  });
}

/** Counters the gateway keeps per backend (circuit trips, trial outcomes), copied at scrape time. */
function backendCounters(registry: Registry, status: MetricsOptions["status"]) {
  const each = (visit: (model: string, b: BackendStatus) => void) => {
    for (const [model, backends] of Object.entries(status())) for (const b of backends) visit(model, b);
  };
  new Counter({
    name: "petrel_circuit_trips_total",
    help: "Times a backend's circuit opened after client requests failed.",
    labelNames: ["model", "backend"],
    registers: [registry],
    collect() {
      this.reset();
      each((model, b) => this.inc({ model, backend: b.id }, b.circuitTrips));
    },
  });
  new Counter({
    name: "petrel_circuit_trials_total",
    help: "Synthetic one-token trials of a half-open circuit, by result (passed closes it).",
    labelNames: ["model", "backend", "result"],
    registers: [registry],
    collect() {
      this.reset();
      each((model, b) => {
        this.inc({ model, backend: b.id, result: "passed" }, b.trials.passed);
        this.inc({ model, backend: b.id, result: "failed" }, b.trials.failed);
      });
    },
  });
}

/** The series fed from request records. */
function requestSeries(registry: Registry) {
  const registers = [registry];
  const model = ["model"] as const;
  return {
    requests: new Counter({
      name: "petrel_requests_total",
      help: "Finished API requests by route, model, backend, HTTP status and outcome.",
      labelNames: ["route", "model", "backend", "status", "outcome"],
      registers,
    }),
    promptTokens: new Counter({
      name: "petrel_prompt_tokens_total",
      help: "Prompt tokens processed.",
      labelNames: model,
      registers,
    }),
    completionTokens: new Counter({
      name: "petrel_generation_tokens_total",
      help: "Completion tokens generated (streamed to clients, including cancelled requests).",
      labelNames: model,
      registers,
    }),
    ttft: new Histogram({
      name: "petrel_time_to_first_token_seconds",
      help: "From request arrival to the first content token.",
      labelNames: model,
      buckets: TTFT_BUCKETS,
      registers,
    }),
    tpot: new Histogram({
      name: "petrel_time_per_output_token_seconds",
      help: "Mean time between output tokens after the first, per request.",
      labelNames: model,
      buckets: TPOT_BUCKETS,
      registers,
    }),
    latency: new Histogram({
      name: "petrel_request_duration_seconds",
      help: "From request arrival to its last byte (streams: last chunk or client gone).",
      labelNames: ["route", "outcome"],
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    queue: new Histogram({
      name: "petrel_request_queue_seconds",
      help: "From request arrival until a backend accepted it (waiting, dispatch, retries).",
      labelNames: model,
      buckets: TTFT_BUCKETS,
      registers,
    }),
  };
}

export function createMetrics(options: MetricsOptions): Metrics {
  const registry = new Registry();
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry, prefix: "petrel_" });
  const { requests, promptTokens, completionTokens, ttft, tpot, latency, queue } = requestSeries(registry);
  backendGauges(registry, options.status);
  backendCounters(registry, options.status);

  // Model labels come from the models this process serves (fixed by its config), never from what a
  // client asked for: a series per unknown model name would let clients grow the registry without end.
  let served: Set<string> | undefined;
  const servedModel = (asked: string | null) => {
    served ??= new Set(Object.keys(options.status()));
    return asked !== null && served.has(asked) ? asked : "";
  };

  function apply(r: RequestRecord) {
    const route = ROUTES.has(r.path) ? r.path : "other";
    const model = servedModel(r.model);
    requests.inc({ route, model, backend: r.backend ?? "", status: String(r.status), outcome: r.outcome });
    latency.observe({ route, outcome: r.outcome }, r.latency_ms / 1000);
    if (model === "") return;
    if (r.prompt_tokens !== null) promptTokens.inc({ model }, r.prompt_tokens);
    if (r.completion_tokens !== null) completionTokens.inc({ model }, r.completion_tokens);
    if (r.queue_ms !== null) queue.observe({ model }, r.queue_ms / 1000);
    if (r.ttft_ms === null) return;
    ttft.observe({ model }, r.ttft_ms / 1000);
    const tokens = r.completion_tokens ?? 0;
    if (tokens >= 2) tpot.observe({ model }, (r.latency_ms - r.ttft_ms) / 1000 / (tokens - 1));
  }

  // A record is folded into the series after the response has left (prom-client hashes every label
  // set on every call): observe() queues it for the end of this turn of the event loop, and a scrape
  // applies whatever is still queued first.
  let queued: RequestRecord[] = [];
  const drain = () => {
    const records = queued;
    queued = [];
    for (const r of records) apply(r);
  };
  function observe(r: RequestRecord) {
    if (queued.push(r) === 1) setImmediate(drain);
  }

  async function scrape() {
    drain();
    const body = await registry.metrics();
    return new Response(body, { status: 200, headers: { "content-type": registry.contentType } });
  }

  return { registry, observe, scrape };
}
