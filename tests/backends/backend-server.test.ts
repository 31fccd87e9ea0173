// The Petrel backend server as a real process: load report, graceful drain on SIGTERM, and client
// disconnects aborting the engine's decode (measured: time from abort to the active count dropping).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BackendServer, startBackendServer } from "../../service/src/server/backend-server.js";
import {
  loadOf,
  longChat,
  msUntilIdle,
  type Proc,
  postChat,
  readSse,
  startBackend,
  stopAll,
  untilActive,
} from "./helpers/processes.js";

const procs: Proc[] = [];
afterAll(() => stopAll(procs));

describe("petrel backend server (real process)", () => {
  let backend: Proc;
  beforeAll(async () => {
    backend = await startBackend();
    procs.push(backend);
  });

  it("reports its load", async () => {
    const { status, body } = await loadOf(backend.url);
    expect(status).toBe(200);
    // capacity = rows one batched decode step serves (--batch-size, default 8)
    expect(body).toMatchObject({ queued: 0, active: 0, capacity: 8, draining: false });
  });

  it("client abort of a stream → the engine stops: active count drops (figure printed)", async () => {
    // How long the same generation takes when nobody cancels it.
    const t0 = performance.now();
    await readSse(await postChat(backend.url, longChat()));
    const naturalMs = performance.now() - t0;

    const abort = new AbortController();
    const res = await postChat(backend.url, longChat(), abort.signal);
    const reader = res.body?.getReader();
    await reader?.read(); // streaming has begun
    await untilActive(backend.url);
    const abortedAt = performance.now();
    abort.abort();
    const dropMs = await msUntilIdle(backend.url, abortedAt);
    console.log(
      `[backends] stream abort → backend active 0 in ${dropMs.toFixed(1)} ms (uncancelled run: ${naturalMs.toFixed(0)} ms)`,
    );
    expect(dropMs).toBeLessThan(naturalMs);
  });

  it("client abort of a non-streaming request → the engine stops too", async () => {
    const t0 = performance.now();
    await (await postChat(backend.url, longChat("tiny-random", false))).json();
    const naturalMs = performance.now() - t0;

    const abort = new AbortController();
    const pending = postChat(backend.url, longChat("tiny-random", false), abort.signal).catch(
      () => undefined,
    );
    await untilActive(backend.url);
    const abortedAt = performance.now();
    abort.abort();
    const dropMs = await msUntilIdle(backend.url, abortedAt);
    await pending;
    console.log(
      `[backends] non-stream abort → backend active 0 in ${dropMs.toFixed(1)} ms (uncancelled run: ${naturalMs.toFixed(0)} ms)`,
    );
    expect(dropMs).toBeLessThan(naturalMs);
  });

  it("SIGTERM drains: running stream completes, new work gets 503, load report says draining, exit 0", async () => {
    const drainer = await startBackend();
    procs.push(drainer);
    const running = postChat(drainer.url, longChat()).then(readSse);
    await untilActive(drainer.url);
    drainer.kill("SIGTERM");
    // Wait for the drain to begin, then check both doors are shut for new work.
    let load = await loadOf(drainer.url);
    while (load.status === 200) load = await loadOf(drainer.url);
    expect(load).toMatchObject({ status: 503, body: { draining: true } });
    const refused = await postChat(drainer.url, longChat());
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("1");
    const finished = await running;
    expect(finished.error).toBeUndefined();
    expect(finished.done).toBe(true);
    expect(finished.events.some((e) => e.includes('"finish_reason":"length"'))).toBe(true);
    expect(await drainer.exited).toBe(0);
  });
});

describe("petrel backend server in the test process (precise abort figure)", () => {
  let server: BackendServer;
  beforeAll(async () => {
    server = await startBackendServer({
      modelDir: "models/tiny-random",
      host: "127.0.0.1",
      port: 0,
      provider: "cpu",
      threads: 1,
    });
  });
  afterAll(() => server?.drain(1_000));

  // The engine's own counter, read every event-loop turn: no HTTP polling in the measured time.
  async function engineIdleAfter(since: number): Promise<number> {
    while (server.engine.load().active > 0) {
      await new Promise((r) => setImmediate(r));
      if (performance.now() - since > 10_000) throw new Error("engine never went idle");
    }
    return performance.now() - since;
  }

  it.each([true, false])("client abort (stream: %s) → engine active 0 (figure printed)", async (stream) => {
    const abort = new AbortController();
    const pending = postChat(server.url, longChat("tiny-random", stream), abort.signal).then(
      (res) => res.body?.getReader().read(),
      () => undefined,
    );
    while (server.engine.load().active === 0) await new Promise((r) => setImmediate(r));
    if (stream) await pending; // first bytes are in
    const t0 = performance.now();
    abort.abort();
    const ms = await engineIdleAfter(t0);
    await pending;
    console.log(
      `[backends] in-process ${stream ? "stream" : "non-stream"} abort → engine active 0 in ${ms.toFixed(1)} ms`,
    );
    expect(server.engine.load()).toMatchObject({ active: 0, queued: 0 });
  });
});
