// The same gateway inside real workerd (`wrangler dev`, PETREL_BACKENDS var): streaming through a
// real Petrel backend server, failover and mid-stream errors against a FAKE upstream, and a client
// abort reaching the backend's engine through workerd's fetch. The backend server runs in the test
// process with its engine behind a gate (gated-sessions.ts): in the abort test the engine is held
// after its first steps until the backend has seen the client go, so the cancel never races the
// engine to the end of its 240 tokens (a disconnect takes up to a second through wrangler dev and
// workerd; tiny-random on an idle machine is faster).
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { RequestRecord } from "../../service/src/http/index.js";
import { nodeSessions } from "../../service/src/ort/node.js";
import type { BackendServer } from "../../service/src/server/backend-server.js";
import { type RunningWrangler, startWrangler } from "../helpers/wrangler.js";
import { requestRecords } from "../reliability/helpers.js";
import { type FakeUpstream, startFakeUpstream } from "./helpers/fake-upstream.js";
import { gatedSessions, startGatedBackend } from "./helpers/gated-sessions.js";
import { longChat, postChat, readSse, untilIdle } from "./helpers/processes.js";

let wrangler: RunningWrangler | undefined;
let stalls: FakeUpstream;
let healthy: FakeUpstream;
let backend: BackendServer;
const { sessions, gate } = gatedSessions(nodeSessions({ intraOpNumThreads: 1 }));
/** The backend's request records, by request id. */
const atBackend = new Map<string, RequestRecord>();

beforeAll(async () => {
  stalls = await startFakeUpstream();
  healthy = await startFakeUpstream();
  backend = await startGatedBackend(sessions, atBackend);
  const config = {
    timeouts: { connectMs: 2_000, firstTokenMs: 1_000, idleMs: 30_000, totalMs: 30_000 },
    health: { intervalMs: 60_000 },
    models: {
      // a held engine must not look idle: tiny-random keeps the 30 s idle timeout
      "tiny-random": { backends: [{ url: backend.url, kind: "petrel" }] },
      flaky: {
        timeouts: { idleMs: 500 },
        backends: [
          { id: "stalls", url: stalls.url, kind: "vllm", weight: 1000 },
          { id: "healthy", url: healthy.url, kind: "vllm", weight: 0.001 },
        ],
      },
    },
  };
  wrangler = await startWrangler({ vars: { PETREL_BACKENDS: JSON.stringify(config) } });
});

afterEach(() => gate.allow(Number.POSITIVE_INFINITY));
afterAll(async () => {
  gate.allow(Number.POSITIVE_INFINITY);
  await wrangler?.stop();
  await backend?.drain(1_000);
  await Promise.all([stalls?.close(), healthy?.close()]);
});

const url = () => (wrangler as RunningWrangler).url;

describe("gateway inside workerd (wrangler dev)", () => {
  it("streams from a real backend server with usage and [DONE]", async () => {
    const res = await postChat(url(), {
      ...longChat("tiny-random", true, 6),
      stream_options: { include_usage: true },
    });
    expect(res.status).toBe(200);
    const sse = await readSse(res);
    expect(sse.error).toBeUndefined();
    expect(sse.done).toBe(true);
    expect(sse.events.some((e) => e.includes('"completion_tokens":6'))).toBe(true);
  });

  it("stall before first token (fake) → fails over inside workerd", async () => {
    stalls.script = [{ kind: "stall-before-first" }];
    const res = await postChat(url(), {
      model: "flaky",
      messages: [{ role: "user", content: "hi" }],
      stream: true,
    });
    const sse = await readSse(res);
    expect(sse.content).toBe("Hello world");
    expect(sse.error).toBeUndefined();
    expect(stalls.requests.length).toBeGreaterThanOrEqual(1);
  });

  it("stall mid-stream (fake) → error event then [DONE] from workerd", async () => {
    stalls.script = [{ kind: "stall-mid-stream", tokens: ["Hel", "lo"] }];
    const res = await postChat(url(), {
      model: "flaky",
      messages: [{ role: "user", content: "hi" }],
      stream: true,
    });
    const sse = await readSse(res);
    expect(sse.content).toBe("Hello");
    expect(sse.error).toMatchObject({ code: "upstream_idle_timeout" });
    expect(sse.events.at(-1)).toBe("[DONE]");
  });

  it("client abort through workerd → the backend stops and frees its slot", async () => {
    const requestId = "workerd-client-abort";
    const abort = new AbortController();
    gate.allow(8); // the prefill and 7 decode steps, then the engine waits for the cancel
    const res = await fetch(`${url()}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-request-id": requestId },
      body: JSON.stringify(longChat()),
      signal: abort.signal,
    });
    await res.body?.getReader().read(); // streaming has begun
    abort.abort();
    // the backend's own record, written while its engine was held: only the cancel can end it
    await expect.poll(() => atBackend.has(requestId), { timeout: 30_000 }).toBe(true);
    gate.allow(Number.POSITIVE_INFINITY);
    expect(atBackend.get(requestId)).toMatchObject({ outcome: "cancelled", stream: true });
    expect(atBackend.get(requestId)?.completion_tokens).toBeLessThan(240);
    await untilIdle(backend.url);
    // the Worker cancelled because its client left, not because the held stream went idle
    const worker = wrangler as RunningWrangler;
    await expect.poll(() => requestRecords(worker.log()).has(requestId), { timeout: 30_000 }).toBe(true);
    expect(requestRecords(worker.log()).get(requestId)).toMatchObject({ outcome: "cancelled" });
  });
});
