// /metrics on real processes: a Petrel backend server (tiny-random on onnxruntime-node) behind the
// Node gateway. Both expositions must pass a strict text-format parser, and their counters,
// histograms and gauges must move with the traffic sent; the gateway's stdout carries one JSON
// record per request, without the prompt.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  loadOf,
  longChat,
  type Proc,
  postChat,
  startBackend,
  startNodeGateway,
  stopAll,
  untilIdle,
} from "../backends/helpers/processes.js";
import { type Family, parsePrometheusText, sumOf } from "./helpers/prom-text.js";
import { parseServerTiming } from "./helpers/server-timing.js";

const procs: Proc[] = [];
let backend: Proc;
let gateway: Proc;

beforeAll(async () => {
  // one request at a time (no batching), so a queue forms for the queue-depth gauge
  backend = await startBackend(["--batch-size", "1"]);
  procs.push(backend);
  gateway = await startNodeGateway({
    retry: { maxAttempts: 1 },
    circuit: { failureThreshold: 1, cooldownMs: 60_000 },
    health: { intervalMs: 60_000 },
    models: { "tiny-random": { backends: [{ id: "b1", url: backend.url, kind: "petrel" }] } },
  });
  procs.push(gateway);
});
afterAll(() => stopAll(procs));

async function scrape(url: string): Promise<Map<string, Family>> {
  const response = await fetch(`${url}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  return parsePrometheusText(await response.text());
}

const count = (f: Map<string, Family>, family: string, name = family, match = {}) =>
  sumOf(f, family, name, match);
const SECRET = "the launch code is 0000";

describe("Prometheus /metrics on the backend server and the Node gateway (real processes)", () => {
  it("exposes the documented families with their types on both", async () => {
    for (const url of [backend.url, gateway.url]) {
      const families = await scrape(url);
      const types = Object.fromEntries([...families.values()].map((f) => [f.name, f.type]));
      expect(types).toMatchObject({
        petrel_requests_total: "counter",
        petrel_prompt_tokens_total: "counter",
        petrel_generation_tokens_total: "counter",
        petrel_time_to_first_token_seconds: "histogram",
        petrel_time_per_output_token_seconds: "histogram",
        petrel_request_duration_seconds: "histogram",
        petrel_queue_depth: "gauge",
        petrel_circuit_state: "gauge",
        petrel_process_cpu_seconds_total: "counter",
      });
    }
    const gw = await scrape(gateway.url);
    expect(
      count(gw, "petrel_circuit_state", "petrel_circuit_state", { backend: "b1", state: "closed" }),
    ).toBe(1);
    expect(count(gw, "petrel_backend_healthy", "petrel_backend_healthy", { backend: "b1" })).toBe(1);
  });

  it("counters and histograms move with traffic; Server-Timing and request logs on the way", async () => {
    const [gwBefore, beBefore] = [await scrape(gateway.url), await scrape(backend.url)];
    const body = { ...longChat("tiny-random", false, 8), messages: [{ role: "user", content: SECRET }] };
    const json = await postChat(gateway.url, body);
    expect(json.status).toBe(200);
    expect((await json.json()).usage.completion_tokens).toBe(8);
    const jsonTiming = parseServerTiming(json.headers.get("server-timing"));
    expect(Object.keys(jsonTiming)).toEqual(["queue", "ttft", "total"]);

    const stream = await postChat(gateway.url, {
      ...body,
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(parseServerTiming(stream.headers.get("server-timing")).queue?.dur).toBeGreaterThanOrEqual(0);
    expect(await stream.text()).toContain("data: [DONE]");
    const invalid = await postChat(gateway.url, { model: "tiny-random", messages: [] });
    expect(invalid.status).toBe(400);

    const delta = (
      after: Map<string, Family>,
      before: Map<string, Family>,
      family: string,
      name = family,
      match = {},
    ) => count(after, family, name, match) - count(before, family, name, match);
    const chat = { route: "/v1/chat/completions", model: "tiny-random" };
    const okChats = (after: Map<string, Family>, before: Map<string, Family>) =>
      delta(after, before, "petrel_requests_total", "petrel_requests_total", { ...chat, outcome: "ok" });
    // A stream is counted when its body ends, which may come after the client read [DONE].
    let [gw, be] = [await scrape(gateway.url), await scrape(backend.url)];
    while (okChats(gw, gwBefore) < 2 || okChats(be, beBefore) < 2) {
      [gw, be] = [await scrape(gateway.url), await scrape(backend.url)];
    }
    expect(
      delta(gw, gwBefore, "petrel_requests_total", "petrel_requests_total", {
        ...chat,
        outcome: "ok",
        backend: "b1",
      }),
    ).toBe(2);
    expect(
      delta(gw, gwBefore, "petrel_requests_total", "petrel_requests_total", {
        outcome: "invalid",
        status: "400",
      }),
    ).toBe(1);
    expect(
      delta(be, beBefore, "petrel_requests_total", "petrel_requests_total", { ...chat, outcome: "ok" }),
    ).toBe(2);
    for (const [after, before] of [
      [gw, gwBefore],
      [be, beBefore],
    ] as const) {
      expect(delta(after, before, "petrel_generation_tokens_total")).toBe(16);
      expect(delta(after, before, "petrel_prompt_tokens_total")).toBeGreaterThan(0);
      const ttft = "petrel_time_to_first_token_seconds";
      expect(delta(after, before, ttft, `${ttft}_count`)).toBe(2);
      const tpot = "petrel_time_per_output_token_seconds";
      expect(delta(after, before, tpot, `${tpot}_count`)).toBe(2);
      expect(delta(after, before, tpot, `${tpot}_sum`)).toBeGreaterThan(0);
    }

    const records = () =>
      gateway
        .output()
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .map((l) => JSON.parse(l))
        .filter((r) => r.msg === "request");
    const requestId = json.headers.get("x-request-id");
    // the gateway writes its request lines in batches, off the request path
    const record = await vi.waitFor(() => {
      const found = records().find((r) => r.request_id === requestId);
      if (!found) throw new Error(`no record for ${requestId} yet`);
      return found;
    });
    expect(record).toMatchObject({
      model: "tiny-random",
      backend: "b1",
      status: 200,
      outcome: "ok",
      completion_tokens: 8,
    });
    expect(gateway.output()).not.toContain(SECRET);
    expect(backend.output()).not.toContain(SECRET);
  });

  it("shows queue depth and running requests while the engine is busy", async () => {
    // The engine runs one request at a time: of three long streams, two wait in its queue.
    const abort = new AbortController();
    const streams = [1, 2, 3].map(() =>
      postChat(backend.url, longChat("tiny-random", true, 240), abort.signal),
    );
    try {
      let load = await loadOf(backend.url);
      while (load.body.queued < 1) load = await loadOf(backend.url);
      const [be, gw] = [await scrape(backend.url), await scrape(gateway.url)];
      expect(count(be, "petrel_queue_depth")).toBeGreaterThanOrEqual(1);
      expect(count(be, "petrel_backend_running_requests")).toBe(1);
      // The gateway has nothing in flight (the streams went straight to the backend).
      expect(count(gw, "petrel_backend_outstanding_requests")).toBe(0);
    } finally {
      abort.abort();
      await Promise.allSettled(streams);
    }
    await untilIdle(backend.url);
    expect(count(await scrape(backend.url), "petrel_queue_depth")).toBe(0);
  });

  it("shows the circuit opening and the backend unhealthy when the backend dies", async () => {
    backend.kill("SIGKILL");
    await backend.exited;
    const failed = await postChat(gateway.url, longChat("tiny-random", false, 4));
    expect(failed.status).toBeGreaterThanOrEqual(500);
    const gw = await scrape(gateway.url);
    expect(count(gw, "petrel_circuit_state", "petrel_circuit_state", { backend: "b1", state: "open" })).toBe(
      1,
    );
    expect(
      count(gw, "petrel_circuit_state", "petrel_circuit_state", { backend: "b1", state: "closed" }),
    ).toBe(0);
    expect(count(gw, "petrel_requests_total", "petrel_requests_total", { outcome: "error" })).toBeGreaterThan(
      0,
    );
  });
});
