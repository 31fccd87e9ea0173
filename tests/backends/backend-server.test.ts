// The Petrel backend server as a real process: load report, graceful drain on SIGTERM, and client
// disconnects aborting the engine's decode (the slot is freed and the request recorded as cancelled,
// fewer tokens than asked). In the test process, with the engine held between steps by a gate, the
// same abort is checked step by step: no decode step after the one under way.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RequestRecord } from "../../service/src/http/index.js";
import { nodeSessions } from "../../service/src/ort/node.js";
import { type BackendServer, startBackendServer } from "../../service/src/server/backend-server.js";
import { gatedSessions } from "./helpers/gated-sessions.js";
import {
  loadOf,
  longChat,
  type Proc,
  postChat,
  readSse,
  recordAt,
  recordsOf,
  startBackend,
  stopAll,
  untilActive,
  untilIdle,
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

  // max_tokens 240 (longChat); a request the engine ran to the end would be recorded ok with 240
  it("client abort of a stream → the engine stops: slot freed, recorded as cancelled short of max_tokens", async () => {
    const index = recordsOf(backend).length;
    const abort = new AbortController();
    const res = await postChat(backend.url, longChat(), abort.signal);
    await res.body?.getReader().read(); // streaming has begun
    abort.abort();
    await untilIdle(backend.url);
    const record = await recordAt(backend, index);
    expect(record).toMatchObject({ outcome: "cancelled", stream: true });
    expect(record.completion_tokens).toBeLessThan(240);
  });

  it("client abort of a non-streaming request → the engine stops too", async () => {
    const index = recordsOf(backend).length;
    const abort = new AbortController();
    const pending = postChat(backend.url, longChat("tiny-random", false), abort.signal).catch(
      () => undefined,
    );
    await untilActive(backend.url);
    abort.abort();
    await pending;
    await untilIdle(backend.url);
    const record = await recordAt(backend, index);
    expect(record).toMatchObject({ stream: false, outcome: "cancelled" });
    expect(record.completion_tokens ?? 0).toBeLessThan(240);
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

describe("petrel backend server in the test process, engine held between steps by a gate", () => {
  const { sessions, gate } = gatedSessions(nodeSessions({ intraOpNumThreads: 1 }));
  const records: RequestRecord[] = [];
  let recorded: (() => void) | undefined;
  let server: BackendServer;
  beforeAll(async () => {
    server = await startBackendServer({
      modelDir: "models/tiny-random",
      host: "127.0.0.1",
      port: 0,
      provider: "cpu",
      sessions,
      requestLog: (record) => {
        records.push(record);
        recorded?.();
      },
    });
  });
  afterAll(() => {
    gate.allow(Number.POSITIVE_INFINITY);
    return server?.drain(1_000);
  });

  async function engineIdle(): Promise<void> {
    while (server.engine.load().active + server.engine.load().queued > 0) {
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  it.each([true, false])(
    "client abort mid-generation (stream: %s) → recorded as cancelled, no step after the one under way, slot freed",
    async (stream) => {
      gate.allow(20); // the prefill and 19 decode steps, then the engine waits at the gate
      const seen = new Promise<void>((resolve) => {
        recorded = resolve;
      });
      const abort = new AbortController();
      const response = postChat(server.url, longChat("tiny-random", stream), abort.signal);
      await gate.held();
      if (stream) await (await response).body?.getReader().read(); // the stream has begun
      const runsAtAbort = gate.runs;
      abort.abort();
      await response.catch(() => undefined);
      await seen; // the server saw the client go, while the engine is still held
      gate.allow(Number.POSITIVE_INFINITY);
      await engineIdle();
      const record = records.at(-1);
      expect(record?.stream).toBe(stream);
      // the client left: a stream and a non-stream request (a 499, never sent) alike
      expect(record?.outcome).toBe("cancelled");
      expect(gate.runs - runsAtAbort).toBeLessThanOrEqual(1);
      expect(server.engine.load()).toMatchObject({ active: 0, queued: 0 });
    },
  );
});
