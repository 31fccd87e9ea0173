// Active health checks: each kind's own readiness endpoint (not /v1/models, which vLLM answers while
// still loading weights), plus its load signal where it has one.

import { type GatewayClock, realClock } from "./clock.js";
import type { BackendConfig } from "./config.js";
import { type LoadReport, parseMetricsLoad, parsePetrelLoad } from "./load-signals.js";
import type { FetchLike } from "./openai-upstream.js";

export interface ProbeResult {
  ready: boolean;
  load?: LoadReport;
  detail?: string;
}

/** Readiness path per kind; undefined where there is nothing to probe. */
const READINESS: Record<BackendConfig["kind"], string | undefined> = {
  petrel: "/v1/load",
  vllm: "/health",
  tgi: "/health",
  llamacpp: "/health",
  ollama: "/api/version",
  openai: "/v1/models",
  embedded: undefined,
};

/** Kinds whose /metrics carries queue depth (llama.cpp only with --metrics; a 404 is fine). */
const HAS_METRICS = new Set<BackendConfig["kind"]>(["vllm", "tgi", "llamacpp"]);

interface ProbeTarget {
  fetchImpl: FetchLike;
  apiKey: string | undefined;
  timeoutMs: number;
  clock: GatewayClock;
}

async function get({ fetchImpl, apiKey, timeoutMs, clock }: ProbeTarget, url: string) {
  const headers: Record<string, string> = apiKey ? { authorization: `Bearer ${apiKey}` } : {};
  const abort = new AbortController();
  const disarm = clock.setTimer(() => abort.abort(), timeoutMs);
  try {
    const res = await fetchImpl(url, { method: "GET", headers, signal: abort.signal });
    return { status: res.status, text: await res.text() };
  } finally {
    disarm();
  }
}

export async function probeBackend(
  config: BackendConfig,
  fetchImpl: FetchLike,
  timeoutMs: number,
  clock: GatewayClock = realClock,
): Promise<ProbeResult> {
  const path = READINESS[config.kind];
  if (!path || !config.url) return { ready: true };
  const target = { fetchImpl, apiKey: config.apiKey, timeoutMs, clock };
  try {
    const res = await get(target, config.url + path);
    if (res.status !== 200) return { ready: false, detail: `${path} answered ${res.status}` };
    if (config.kind === "petrel") {
      const load = parsePetrelLoad(JSON.parse(res.text));
      return load ? { ready: true, load } : { ready: false, detail: "malformed load report" };
    }
    if (!HAS_METRICS.has(config.kind)) return { ready: true };
    const metrics = await get(target, `${config.url}/metrics`).catch(() => undefined);
    const load = metrics?.status === 200 ? parseMetricsLoad(metrics.text) : undefined;
    return { ready: true, load };
  } catch (err) {
    return { ready: false, detail: err instanceof Error ? err.message : String(err) };
  }
}
