// Passive health judged on whole streams (issue 17, points 2 and 3): the gateway (createGateway, on a
// clock the test moves) in front of real Petrel backend servers (models/tiny-random, real processes)
// and one FAKE half-broken backend each, a fault a real engine can't be made to show on cue. A
// backend that fails after its first token is ejected; one that hangs after its headers costs at most
// one client request per circuit period; half-open circuits are tried with synthetic one-token
// requests. No wall time is measured or raced: cooldowns and timeouts pass when the clock is moved.
import { afterEach, describe, expect, it } from "vitest";
import type { PetrelGateway } from "../../service/src/gateway/index.js";
import { ApiError } from "../../service/src/protocol/errors.js";
import { drain, gatewayFor, type ManualClock, manualClock } from "../backends/helpers/gateway-harness.js";
import { longChat, type Proc, startBackend, stopAll } from "../backends/helpers/processes.js";
import { type FakeBackend, startFakeBackend } from "./fake-backends.js";

const procs: Proc[] = [];
const fakes: FakeBackend[] = [];
afterEach(async () => {
  await stopAll(procs);
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});

type Outcome = "ok" | "cut" | "failed";

async function stream(gateway: PetrelGateway, requestId: string): Promise<Outcome> {
  const signal = new AbortController().signal;
  try {
    const out = await drain(await gateway.chat({ ...longChat("m", true, 6) }, { requestId, signal }));
    return out.error ? "cut" : "ok";
  } catch (err) {
    if (err instanceof ApiError) return "failed";
    throw err;
  }
}

/** The fake backend's status in the gateway. */
const fakeStatus = (gateway: PetrelGateway) => gateway.status().m?.find((b) => b.id === "fake");

async function setUp(fault: Parameters<typeof startFakeBackend>[0], reals: number) {
  const fake = await startFakeBackend(fault);
  fakes.push(fake);
  const real = await Promise.all(Array.from({ length: reals }, () => startBackend()));
  procs.push(...real);
  return { fake, real };
}

/**
 * Waits for `done()`, moving the clock whenever a timer of at most `stepMs` is armed: the gateway's
 * short wait on the hung backend, which only the clock can end. Checks state every few ms of real
 * time; nothing depends on how long that takes.
 */
async function driveUntil(clock: ManualClock, stepMs: number, done: () => boolean): Promise<void> {
  for (let turns = 0; !done(); turns++) {
    if (turns > 20_000) throw new Error("the gateway never got there");
    const due = clock.pending().filter((ms) => ms <= stepMs);
    if (due.length > 0) clock.advance(Math.max(0, Math.min(...due)));
    await new Promise((r) => setTimeout(r, 2));
  }
}

describe("passive health on whole streams (real backend servers + one FAKE half-broken backend)", () => {
  it("garbage after the first token (fake): ejected after ≤3 such streams, then ≤1% of streams cut over 30 s of load", async () => {
    const { fake, real } = await setUp("garbage-after-first-token", 2);
    const clock = manualClock();
    const backends = [
      ...real.map((b) => ({ url: b.url, upstreamModel: "tiny-random" })),
      { url: fake.url, id: "fake" },
    ];
    const gateway = gatewayFor(
      backends,
      { circuit: { failureThreshold: 3, cooldownMs: 2_000 }, timeouts: {} },
      clock,
    );

    let cutBeforeEjection = 0;
    for (let i = 0; (fakeStatus(gateway)?.circuitTrips ?? 0) === 0; i++) {
      if (i === 60) throw new Error(`never ejected; the fake got ${fake.clientRequests()} client streams`);
      if ((await stream(gateway, `eject-${i}`)) === "cut") cutBeforeEjection += 1;
    }
    expect(fake.clientRequests()).toBeLessThanOrEqual(3);
    expect(cutBeforeEjection).toBe(fake.clientRequests());

    // 30 s of load on the gateway's clock: 4 clients, 30 streams each, 1 s between a client's streams.
    const outcomes: Outcome[] = [];
    const clientRequestsBefore = fake.clientRequests();
    const worker = async (w: number) => {
      for (let i = 0; i < 30; i++) {
        outcomes.push(await stream(gateway, `load-${w}-${i}`));
        clock.advance(250); // four clients: the clock moves 1 s per round of four streams
        await gateway.probeAll(); // lets a due trial run to its verdict before the next stream
      }
    };
    await Promise.all([0, 1, 2, 3].map(worker));
    const cut = outcomes.filter((o) => o !== "ok").length;
    console.log(
      `[reliability] garbage-after-first-token: ejected after ${clientRequestsBefore} client streams; then ${outcomes.length} streams over 30 s of the gateway's clock, ${cut} cut; ${fake.trials()} synthetic trials, all failed`,
    );
    expect(outcomes).toHaveLength(120);
    expect(cut / outcomes.length).toBeLessThanOrEqual(0.01);
    // Trials read the whole one-token stream, which this fake spoils: it never gets a client back.
    expect(fake.trials()).toBeGreaterThanOrEqual(2);
    expect(fake.clientRequests()).toBe(clientRequestsBefore);
    expect(fakeStatus(gateway)?.trials.passed).toBe(0);
  }, 180_000);

  it("hang after headers (fake, kind vllm): each circuit period costs ≤1 client request, which fails over and succeeds", async () => {
    const { fake, real } = await setUp("hang-after-headers", 1);
    const clock = manualClock();
    const firstByteMs = 300;
    const gateway = gatewayFor(
      [
        { url: real[0]?.url as string, upstreamModel: "tiny-random" },
        { url: fake.url, id: "fake", kind: "vllm" },
      ],
      {
        // Per kind: the hung kind waits 300 ms for a first byte after its headers; the real Petrel
        // backend keeps its own kind's 5 s (it sends a comment with its headers).
        kinds: { vllm: { timeouts: { firstByteMs } } },
        timeouts: { connectMs: 5_000, firstTokenMs: 20_000, idleMs: 20_000, totalMs: 60_000 },
        circuit: { failureThreshold: 3, cooldownMs: 500 },
      },
      clock,
    );
    const outcomes: Outcome[] = [];
    for (let i = 0; fake.trials() < 3; i++) {
      if (i === 200) throw new Error(`only ${fake.trials()} trials after 200 requests`);
      let outcome: Outcome | undefined;
      const sent = stream(gateway, `hang-${i}`).then((o) => {
        outcome = o;
      });
      await driveUntil(clock, firstByteMs, () => outcome !== undefined);
      await sent;
      outcomes.push(outcome as Outcome);
      clock.advance(250); // time between two client requests
      // A trial that is due now hangs on the fake too; the clock ends it before the next request.
      let probed = false;
      const probing = gateway.probeAll().then(() => {
        probed = true;
      });
      await driveUntil(clock, firstByteMs, () => probed);
      await probing;
    }
    const status = fakeStatus(gateway);
    console.log(
      `[reliability] hang-after-headers: ${outcomes.length} client requests, ${fake.clientRequests()} reached the fake, ${status?.circuitTrips} circuit trips, ${fake.trials()} synthetic trials`,
    );
    expect(outcomes.every((o) => o === "ok")).toBe(true);
    expect(status?.circuitTrips).toBeGreaterThanOrEqual(1);
    // Every circuit period after the first is probed by a trial; only the first cost a client request.
    expect(fake.clientRequests()).toBeLessThanOrEqual(status?.circuitTrips ?? 0);
    expect(fake.clientRequests()).toBe(1);
  }, 180_000);
});
