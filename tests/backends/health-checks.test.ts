// Active health checks and load signals against FAKE upstreams (a real backend can't be made to
// report "not ready" or a vLLM queue on cue): unready backends are skipped and come back; a vLLM
// reporting waiting requests gets less traffic; nothing healthy → 503 with retry-after. The gateway
// runs on a clock the test holds still, so no probe times out because the machine is busy.
import { afterEach, describe, expect, it } from "vitest";
import { createGateway, parseGatewayConfig } from "../../service/src/gateway/index.js";
import { type FakeUpstream, startFakeUpstream } from "./helpers/fake-upstream.js";
import { ask, ctx, drain, manualClock, startError } from "./helpers/gateway-harness.js";

const fakes: FakeUpstream[] = [];
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});

async function pair(kind: string) {
  const a = await startFakeUpstream();
  const b = await startFakeUpstream();
  fakes.push(a, b);
  a.script = Array(40).fill({ kind: "ok" });
  b.script = Array(40).fill({ kind: "ok" });
  const clock = manualClock();
  const gateway = createGateway({
    now: clock.now,
    setTimer: clock.setTimer,
    sleep: clock.sleep,
    config: parseGatewayConfig({
      health: { intervalMs: 60_000, timeoutMs: 500 },
      models: {
        m: {
          backends: [
            { id: "a", url: a.url, kind },
            { id: "b", url: b.url, kind },
          ],
        },
      },
    }),
  });
  return { a, b, gateway };
}

async function send(gateway: ReturnType<typeof createGateway>, n: number): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const stream = await gateway.chat(ask(), ctx());
    await drain(stream);
    counts[stream.backendId] = (counts[stream.backendId] ?? 0) + 1;
  }
  return counts;
}

describe("active health checks (fake upstreams)", () => {
  it("a Petrel backend whose load report says 503 is skipped after two failed checks, and returns", async () => {
    const { a, gateway } = await pair("petrel");
    a.ready = false;
    await gateway.probeAll();
    expect(gateway.status().m?.[0]?.healthy).toBe(true); // one failed check may be a blip
    await gateway.probeAll();
    expect(gateway.status().m?.[0]?.healthy).toBe(false);
    expect(await send(gateway, 10)).toEqual({ b: 10 });
    a.ready = true;
    await gateway.probeAll();
    expect(gateway.status().m?.[0]?.healthy).toBe(true);
    expect(Object.keys(await send(gateway, 20)).sort()).toEqual(["a", "b"]);
  });

  it("vLLM /health + /metrics: a backend with a long waiting queue gets little traffic", async () => {
    const { a, gateway } = await pair("vllm");
    a.metrics =
      'vllm:num_requests_waiting{model_name="m"} 30\nvllm:num_requests_running{model_name="m"} 8\nvllm:kv_cache_usage_perc{model_name="m"} 0.97\n';
    await gateway.probeAll();
    expect(gateway.status().m?.[0]?.load).toMatchObject({ queued: 30, active: 8, kvCacheUsage: 0.97 });
    const counts = await send(gateway, 20);
    expect(counts.b ?? 0).toBeGreaterThanOrEqual(18);
  });

  it("no healthy backend → 503 with retry-after, nothing sent upstream", async () => {
    const { a, b, gateway } = await pair("vllm");
    a.ready = false;
    b.ready = false;
    await gateway.probeAll();
    await gateway.probeAll();
    const err = await startError(gateway);
    expect(err.status).toBe(503);
    expect(err.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(a.requests.length + b.requests.length).toBe(0);
  });
});
