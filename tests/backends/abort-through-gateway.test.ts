// End-to-end cancellation: client → real Node gateway → real Petrel backend server. A client that
// goes away, streaming or not, must free the backend's engine slot (figures printed).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  loadOf,
  longChat,
  type Proc,
  postChat,
  readSse,
  startBackend,
  startNodeGateway,
  stopAll,
} from "./helpers/processes.js";

const procs: Proc[] = [];
afterAll(() => stopAll(procs));

async function untilIdle(url: string, since: number): Promise<number> {
  for (;;) {
    const { body } = await loadOf(url);
    const ms = performance.now() - since;
    if (body.active === 0 && body.queued === 0) return ms;
    if (ms > 10_000) throw new Error("backend never went idle");
  }
}

async function untilActive(url: string): Promise<void> {
  while ((await loadOf(url)).body.active === 0) await new Promise((r) => setTimeout(r, 2));
}

describe("abort through the Node gateway (real processes)", () => {
  let backend: Proc;
  let gateway: Proc;
  let naturalMs = 0;

  beforeAll(async () => {
    backend = await startBackend();
    procs.push(backend);
    gateway = await startNodeGateway({
      models: { "tiny-random": { backends: [{ url: backend.url, kind: "petrel" }] } },
    });
    procs.push(gateway);
    const t0 = performance.now();
    await readSse(await postChat(gateway.url, longChat()));
    naturalMs = performance.now() - t0;
  });

  it("streaming: client abort → backend active 0", async () => {
    const abort = new AbortController();
    const res = await postChat(gateway.url, longChat(), abort.signal);
    await res.body?.getReader().read();
    await untilActive(backend.url);
    const t0 = performance.now();
    abort.abort();
    const ms = await untilIdle(backend.url, t0);
    console.log(
      `[backends] stream abort via Node gateway → backend active 0 in ${ms.toFixed(1)} ms (uncancelled: ${naturalMs.toFixed(0)} ms)`,
    );
    expect(ms).toBeLessThan(naturalMs);
  });

  it("non-streaming: client abort → backend active 0", async () => {
    const abort = new AbortController();
    const pending = postChat(gateway.url, longChat("tiny-random", false), abort.signal).catch(
      () => undefined,
    );
    await untilActive(backend.url);
    const t0 = performance.now();
    abort.abort();
    const ms = await untilIdle(backend.url, t0);
    await pending;
    console.log(
      `[backends] non-stream abort via Node gateway → backend active 0 in ${ms.toFixed(1)} ms (uncancelled: ${naturalMs.toFixed(0)} ms)`,
    );
    expect(ms).toBeLessThan(naturalMs);
  });
});
