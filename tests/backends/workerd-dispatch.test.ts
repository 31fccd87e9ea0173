// The same gateway inside real workerd (`wrangler dev`, PETREL_BACKENDS var): streaming through a
// real Petrel backend server, failover and mid-stream errors against a FAKE upstream, and a client
// abort reaching the backend's engine through workerd's fetch.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningWrangler, startWrangler } from "../helpers/wrangler.js";
import { type FakeUpstream, startFakeUpstream } from "./helpers/fake-upstream.js";
import {
  longChat,
  type Proc,
  postChat,
  readSse,
  recordAt,
  recordsOf,
  startBackend,
  stopAll,
  untilIdle,
} from "./helpers/processes.js";

const procs: Proc[] = [];
let wrangler: RunningWrangler | undefined;
let stalls: FakeUpstream;
let healthy: FakeUpstream;
let backend: Proc;

beforeAll(async () => {
  stalls = await startFakeUpstream();
  healthy = await startFakeUpstream();
  backend = await startBackend();
  procs.push(backend);
  const config = {
    timeouts: { connectMs: 2_000, firstTokenMs: 1_000, idleMs: 500, totalMs: 30_000 },
    health: { intervalMs: 60_000 },
    models: {
      "tiny-random": { backends: [{ url: backend.url, kind: "petrel" }] },
      flaky: {
        backends: [
          { id: "stalls", url: stalls.url, kind: "vllm", weight: 1000 },
          { id: "healthy", url: healthy.url, kind: "vllm", weight: 0.001 },
        ],
      },
    },
  };
  wrangler = await startWrangler({ vars: { PETREL_BACKENDS: JSON.stringify(config) } });
});

afterAll(async () => {
  await wrangler?.stop();
  await stopAll(procs);
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
    const index = recordsOf(backend).length;
    const abort = new AbortController();
    const res = await postChat(url(), longChat(), abort.signal);
    await res.body?.getReader().read(); // streaming has begun
    abort.abort();
    await untilIdle(backend.url);
    // the backend's own record: cancelled, short of the 240 tokens asked for
    const record = await recordAt(backend, index);
    expect(record).toMatchObject({ outcome: "cancelled", stream: true });
    expect(record.completion_tokens).toBeLessThan(240);
  });
});
