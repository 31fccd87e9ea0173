// Load-aware balancing with two real Petrel backend servers: one is given a long queue by traffic
// that bypasses the gateway; the gateway reads it from GET /v1/load and sends most of its own
// traffic to the other. The control run (no queue) shows the same gateway does use both.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGateway, type PetrelGateway, parseGatewayConfig } from "../../service/src/gateway/index.js";
import { waitFor } from "./helpers/gateway-harness.js";
import {
  loadOf,
  longChat,
  type Proc,
  postChat,
  readSse,
  startBackend,
  stopAll,
} from "./helpers/processes.js";

const procs: Proc[] = [];
afterAll(() => stopAll(procs));

const short = { ...longChat("tiny-random", true, 4) };

async function route(gateway: PetrelGateway, n: number): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const stream = await gateway.chat(short, { requestId: `r${i}`, signal: new AbortController().signal });
    for await (const _ of stream.chunks);
    counts[stream.backendId] = (counts[stream.backendId] ?? 0) + 1;
  }
  return counts;
}

describe("load-aware balancing (2 real backends)", () => {
  let busy: Proc;
  let idle: Proc;
  let gateway: PetrelGateway;
  let stopChecks: (() => void) | undefined;

  beforeAll(async () => {
    // one run at a time (no batching), so eight requests make a queue the balancer can see
    [busy, idle] = await Promise.all([
      startBackend(["--batch-size", "1"]),
      startBackend(["--batch-size", "1"]),
    ]);
    procs.push(busy, idle);
    gateway = createGateway({
      config: parseGatewayConfig({
        health: { intervalMs: 50, timeoutMs: 1_000 },
        models: {
          "tiny-random": {
            backends: [
              { id: "busy", url: busy.url, kind: "petrel" },
              { id: "idle", url: idle.url, kind: "petrel" },
            ],
          },
        },
      }),
    });
    await gateway.probeAll();
    stopChecks = gateway.startHealthChecks();
  });
  afterAll(() => stopChecks?.());

  it("control: with no queue anywhere both backends get traffic", async () => {
    const counts = await route(gateway, 20);
    console.log(`[backends] no queue: ${JSON.stringify(counts)}`);
    expect(counts.busy ?? 0).toBeGreaterThanOrEqual(3);
    expect(counts.idle ?? 0).toBeGreaterThanOrEqual(3);
  });

  it("a backend reporting a long queue gets little of the traffic", async () => {
    // Eight long generations straight at one backend (capacity 1): one runs, seven queue.
    const hammer = Array.from({ length: 8 }, () => postChat(busy.url, longChat()).then(readSse));
    await waitFor(() => (gateway.status()["tiny-random"]?.[0]?.load?.queued ?? 0) >= 4, 20_000);
    expect((await loadOf(busy.url)).body.queued).toBeGreaterThanOrEqual(3);
    const counts = await route(gateway, 20);
    const stillQueued = (await loadOf(busy.url)).body.queued;
    console.log(`[backends] busy backend queue ≥4: ${JSON.stringify(counts)} (queue at end: ${stillQueued})`);
    expect(counts.idle ?? 0).toBeGreaterThanOrEqual(18);
    await Promise.all(hammer);
  });
});
