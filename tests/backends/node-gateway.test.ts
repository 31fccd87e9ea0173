// The real Node gateway process in front of FAKE upstreams: what a client sees on the wire for
// failures (error event + [DONE] mid-stream, 503 + retry-after when every backend is open, 429
// passed on), and that a bad config stops the start with a clear message.
import { spawnSync } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import { type FakeUpstream, startFakeUpstream } from "./helpers/fake-upstream.js";
import { type Proc, postChat, readSse, startNodeGateway, stopAll } from "./helpers/processes.js";

const procs: Proc[] = [];
const fakes: FakeUpstream[] = [];
afterEach(async () => {
  await stopAll(procs);
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});

const ask = { model: "m", messages: [{ role: "user", content: "hi" }], stream: true };

async function gatewayOver(fake: FakeUpstream, extra: Record<string, unknown> = {}): Promise<Proc> {
  const gw = await startNodeGateway({
    timeouts: { connectMs: 1_000, firstTokenMs: 1_000, idleMs: 300, totalMs: 5_000 },
    retry: { maxAttempts: 1 },
    health: { intervalMs: 60_000 },
    ...extra,
    models: { m: { backends: [{ url: fake.url, kind: "petrel" }] } },
  });
  procs.push(gw);
  return gw;
}

describe("Node gateway over a fake upstream", () => {
  it("stall mid-stream (fake) → content, then data: {error}, then data: [DONE]", async () => {
    const fake = await startFakeUpstream([{ kind: "stall-mid-stream", tokens: ["Hel", "lo"] }]);
    fakes.push(fake);
    const gw = await gatewayOver(fake);
    const res = await postChat(gw.url, ask);
    expect(res.status).toBe(200);
    const sse = await readSse(res);
    expect(sse.content).toBe("Hello");
    expect(sse.error).toMatchObject({ type: "server_error", code: "upstream_idle_timeout" });
    expect(sse.events.at(-2)).toContain('"error"');
    expect(sse.events.at(-1)).toBe("[DONE]");
  });

  it("every backend's circuit open (fake 500s) → 503 with retry-after", async () => {
    const fake = await startFakeUpstream([{ kind: "status", status: 500 }]);
    fakes.push(fake);
    const gw = await gatewayOver(fake, { circuit: { failureThreshold: 1, cooldownMs: 30_000 } });
    const first = await postChat(gw.url, ask);
    expect(first.status).toBe(502);
    const second = await postChat(gw.url, ask);
    expect(second.status).toBe(503);
    expect(Number(second.headers.get("retry-after"))).toBeGreaterThanOrEqual(29);
    expect((await second.json()).error.code).toBe("backends_unavailable");
    expect(fake.requests).toHaveLength(1);
  });

  it("429 beyond the deadline (fake) → 429 with the upstream's retry-after", async () => {
    const fake = await startFakeUpstream([{ kind: "status", status: 429, retryAfter: "20" }]);
    fakes.push(fake);
    const gw = await gatewayOver(fake, { retry: { maxAttempts: 3 } });
    const res = await postChat(gw.url, { ...ask, stream: false });
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("20");
  });

  it("refuses to start on an invalid config, naming the bad field", () => {
    const run = spawnSync(process.execPath, ["--import", "tsx", "service/src/entry/node-gateway.ts"], {
      cwd: new URL("../../", import.meta.url).pathname,
      env: {
        ...process.env,
        PETREL_BACKENDS: JSON.stringify({
          models: { m: { backends: [{ url: "http://x", kind: "triton" }] } },
        }),
      },
      encoding: "utf8",
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(
      "models.m.backends[0].kind: must be one of petrel, vllm, tgi, llamacpp, ollama, openai, embedded",
    );
  });
});
