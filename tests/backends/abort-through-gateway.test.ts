// End-to-end cancellation: client → real Node gateway → real Petrel backend server. A client that
// goes away, streaming or not, must free the backend's engine slot (figures printed).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  longChat,
  msUntilIdle,
  type Proc,
  postChat,
  readSse,
  startBackend,
  startNodeGateway,
  stopAll,
  untilActive,
} from "./helpers/processes.js";

const procs: Proc[] = [];
afterAll(() => stopAll(procs));

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
    const ms = await msUntilIdle(backend.url, t0);
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
    const ms = await msUntilIdle(backend.url, t0);
    await pending;
    console.log(
      `[backends] non-stream abort via Node gateway → backend active 0 in ${ms.toFixed(1)} ms (uncancelled: ${naturalMs.toFixed(0)} ms)`,
    );
    expect(ms).toBeLessThan(naturalMs);
  });
});
