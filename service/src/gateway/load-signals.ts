// Parsers for backends' own load signals. Petrel's backend server reports JSON at GET /v1/load;
// vLLM, TGI and llama.cpp expose Prometheus text at /metrics.

export interface LoadReport {
  active: number;
  queued: number;
  capacity?: number;
  kvCacheUsage?: number;
}

/** Petrel: {"queued": n, "active": n, "capacity": n}. */
export function parsePetrelLoad(body: unknown): LoadReport | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const { queued, active, capacity } = body as Record<string, unknown>;
  if (typeof queued !== "number" || typeof active !== "number") return undefined;
  return { queued, active, capacity: typeof capacity === "number" ? capacity : undefined };
}

/** Sums every sample of each metric name (one per label set, e.g. per model or engine). */
export function parsePrometheus(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split(/\r?\n/)) {
    if (line === "" || line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const value = Number(match[3]);
    if (!Number.isFinite(value)) continue;
    const name = match[1] as string;
    out.set(name, (out.get(name) ?? 0) + value);
  }
  return out;
}

const first = (m: Map<string, number>, names: string[]): number | undefined =>
  names.map((n) => m.get(n)).find((v) => v !== undefined);

/** vLLM (v0 and v1 metric names), TGI and llama.cpp; undefined when none of them is present. */
export function parseMetricsLoad(text: string): LoadReport | undefined {
  const m = parsePrometheus(text);
  const queued = first(m, ["vllm:num_requests_waiting", "tgi_queue_size", "llamacpp:requests_deferred"]);
  const active = first(m, [
    "vllm:num_requests_running",
    "tgi_batch_current_size",
    "llamacpp:requests_processing",
  ]);
  if (queued === undefined && active === undefined) return undefined;
  const kv = first(m, ["vllm:kv_cache_usage_perc", "vllm:gpu_cache_usage_perc"]);
  return { queued: queued ?? 0, active: active ?? 0, kvCacheUsage: kv };
}
