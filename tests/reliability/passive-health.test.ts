// Passive health judged on whole streams, against real processes: the Node gateway in front of real
// Petrel backend servers (models/tiny-random) and one FAKE half-broken backend each (a fault a real
// engine can't be made to show on cue). Issue 17, points 2 and 3: a backend that fails after the
// first token is ejected, and a backend that hangs after its headers costs at most one client
// request per circuit period; half-open circuits are tried with synthetic one-token requests.
import { afterEach, describe, expect, it } from "vitest";
import {
  longChat,
  type Proc,
  readSse,
  startBackend,
  startNodeGateway,
  stopAll,
} from "../backends/helpers/processes.js";
import { parsePrometheusText, sumOf } from "../observability/helpers/prom-text.js";
import { type FakeBackend, startFakeBackend } from "./fake-backends.js";

const procs: Proc[] = [];
const fakes: FakeBackend[] = [];
afterEach(async () => {
  await stopAll(procs);
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});

async function metric(gateway: Proc, name: string, labels: Record<string, string>): Promise<number> {
  const text = await (await fetch(`${gateway.url}/metrics`)).text();
  return sumOf(parsePrometheusText(text), name, name, labels);
}

type Outcome = "ok" | "cut" | "failed";

async function stream(gateway: Proc, requestId: string): Promise<Outcome> {
  const res = await fetch(`${gateway.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-request-id": requestId },
    body: JSON.stringify(longChat("tiny-random", true, 6)),
  });
  if (res.status !== 200) return "failed";
  const sse = await readSse(res);
  return sse.error === undefined && sse.done ? "ok" : "cut";
}

async function gatewayWith(fake: FakeBackend, backends: Proc[], extra: Record<string, unknown>) {
  const gateway = await startNodeGateway({
    health: { intervalMs: 60_000 },
    ...extra,
    models: {
      "tiny-random": {
        backends: [
          ...backends.map((b, i) => ({ id: `real-${i}`, url: b.url, kind: "petrel" })),
          { id: "fake", url: fake.url, kind: "petrel" },
        ],
      },
    },
  });
  procs.push(gateway);
  return gateway;
}

describe("passive health on whole streams (Node gateway, real backends + one FAKE half-broken backend)", () => {
  it("garbage after the first token (fake): ejected after ≤3 such streams, then ≤1% of streams cut over 30 s of load", async () => {
    const fake = await startFakeBackend("garbage-after-first-token");
    fakes.push(fake);
    const real = await Promise.all([startBackend(), startBackend()]);
    procs.push(...real);
    const gateway = await gatewayWith(fake, real, { circuit: { failureThreshold: 3, cooldownMs: 2_000 } });
    const trips = () => metric(gateway, "petrel_circuit_trips_total", { backend: "fake" });

    let cutBeforeEjection = 0;
    for (let i = 0; (await trips()) === 0; i++) {
      if (i === 60) throw new Error(`never ejected; the fake got ${fake.clientRequests()} client streams`);
      if ((await stream(gateway, `eject-${i}`)) === "cut") cutBeforeEjection += 1;
    }
    expect(fake.clientRequests()).toBeLessThanOrEqual(3);
    expect(cutBeforeEjection).toBe(fake.clientRequests());

    const outcomes: Outcome[] = [];
    const end = Date.now() + 30_000;
    const worker = async (w: number) => {
      for (let i = 0; Date.now() < end; i++) outcomes.push(await stream(gateway, `load-${w}-${i}`));
    };
    const clientRequestsBefore = fake.clientRequests();
    await Promise.all([0, 1, 2, 3].map(worker));
    const cut = outcomes.filter((o) => o !== "ok").length;
    console.log(
      `[reliability] garbage-after-first-token: ejected after ${clientRequestsBefore} client streams; then ${outcomes.length} streams in 30 s, ${cut} cut; ${fake.trials()} synthetic trials, all failed`,
    );
    expect(outcomes.length).toBeGreaterThanOrEqual(40);
    expect(cut / outcomes.length).toBeLessThanOrEqual(0.01);
    // Trials read the whole one-token stream, which this fake spoils: it never gets a client back.
    expect(fake.trials()).toBeGreaterThanOrEqual(2);
    expect(fake.clientRequests()).toBe(clientRequestsBefore);
    expect(await metric(gateway, "petrel_circuit_trials_total", { backend: "fake", result: "passed" })).toBe(
      0,
    );
  }, 180_000);

  it("hang after headers (fake): each circuit period costs ≤1 client request, which fails over and succeeds", async () => {
    const fake = await startFakeBackend("hang-after-headers");
    fakes.push(fake);
    const real = await startBackend();
    procs.push(real);
    const gateway = await gatewayWith(fake, [real], {
      // A Petrel backend writes a comment with its headers; silence after them means hung.
      kinds: { petrel: { timeouts: { firstByteMs: 300, firstTokenMs: 20_000 } } },
      circuit: { failureThreshold: 3, cooldownMs: 500 },
    });
    const outcomes: Outcome[] = [];
    for (let i = 0; fake.trials() < 3; i++) {
      if (i === 200) throw new Error(`only ${fake.trials()} trials after 200 requests`);
      outcomes.push(await stream(gateway, `hang-${i}`));
    }
    const trips = await metric(gateway, "petrel_circuit_trips_total", { backend: "fake" });
    console.log(
      `[reliability] hang-after-headers: ${outcomes.length} client requests, ${fake.clientRequests()} reached the fake, ${trips} circuit trips, ${fake.trials()} synthetic trials`,
    );
    expect(outcomes.every((o) => o === "ok")).toBe(true);
    expect(trips).toBeGreaterThanOrEqual(1);
    expect(fake.clientRequests()).toBeLessThanOrEqual(trips);
  }, 180_000);
});
