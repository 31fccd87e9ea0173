// End-to-end cancellation: client → real Node gateway → real Petrel backend server. A client that
// goes away, streaming or not, must free the backend's engine slot: the backend goes idle and records
// its request (the gateway always streams from it) as cancelled, short of the 240 tokens asked for.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  longChat,
  type Proc,
  postChat,
  recordAt,
  recordsOf,
  startBackend,
  startNodeGateway,
  stopAll,
  untilActive,
  untilIdle,
} from "./helpers/processes.js";

const procs: Proc[] = [];
afterAll(() => stopAll(procs));

describe("abort through the Node gateway (real processes)", () => {
  let backend: Proc;
  let gateway: Proc;

  beforeAll(async () => {
    backend = await startBackend();
    procs.push(backend);
    gateway = await startNodeGateway({
      models: { "tiny-random": { backends: [{ url: backend.url, kind: "petrel" }] } },
    });
    procs.push(gateway);
  });

  async function expectCancelledAtBackend(index: number): Promise<void> {
    await untilIdle(backend.url);
    const record = await recordAt(backend, index);
    expect(record).toMatchObject({ outcome: "cancelled", stream: true });
    // null: the abort landed before the first token (the log line counts no tokens it never saw)
    expect(record.completion_tokens ?? 0).toBeLessThan(240);
  }

  it("streaming: client abort → the backend stops and frees its slot", async () => {
    const index = recordsOf(backend).length;
    const abort = new AbortController();
    const res = await postChat(gateway.url, longChat(), abort.signal);
    await res.body?.getReader().read(); // streaming has begun
    abort.abort();
    await expectCancelledAtBackend(index);
  });

  it("non-streaming: client abort → the backend stops and frees its slot", async () => {
    const index = recordsOf(backend).length;
    const abort = new AbortController();
    const pending = postChat(gateway.url, longChat("tiny-random", false), abort.signal).catch(
      () => undefined,
    );
    await untilActive(backend.url);
    abort.abort();
    await pending;
    await expectCancelledAtBackend(index);
  });
});
