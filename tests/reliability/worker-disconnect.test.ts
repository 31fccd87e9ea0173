// A client that vanishes mid-stream on the Worker with an HTTP backend (real `wrangler dev`, a real
// Petrel backend server): its concurrency slot is released and its tokens are billed. workerd
// cancels a request's pending I/O when the client goes away; the settlement with the rate-limiter
// Durable Object must survive that (issue 17, point 1).
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Proc, startBackend, stopAll } from "../backends/helpers/processes.js";
import { type RunningWrangler, startWrangler } from "../helpers/wrangler.js";
import { KEYS, sha256Hex } from "../security/helpers.js";
import { chatAs, dropMidStream, requestRecords, usageOf } from "./helpers.js";

const PAIR = "sk-petrel-pair-3f1a7c9e5b3d1f7a9c5e3b1d7f9a5c3e";
const MANY = "sk-petrel-many-8e6c4a2f0d8b6e4c2a0f8d6b4e2c0a8f";
const keysDoc = {
  keys: [
    {
      id: "pair",
      sha256: sha256Hex(PAIR),
      limits: { requestsPerMinute: null, tokensPerMinute: null, concurrent: 2 },
    },
    { id: "many", sha256: sha256Hex(MANY), limits: { requestsPerMinute: null, tokensPerMinute: null } },
  ],
};
// tiny-random with both EOS ids suppressed: it streams until max_tokens, long after the client left.
const longStream = {
  model: "tiny-random",
  messages: [{ role: "user", content: "hi" }],
  stream: true,
  max_tokens: 200,
  logit_bias: { "0": -100, "2": -100 },
};

const procs: Proc[] = [];
let worker: RunningWrangler;

beforeAll(async () => {
  const backend = await startBackend();
  procs.push(backend);
  worker = await startWrangler({
    persistTo: mkdtempSync(join(tmpdir(), "petrel-reliability-")),
    vars: {
      PETREL_KEYS: JSON.stringify(keysDoc),
      PETREL_ADMIN_KEY_SHA256: sha256Hex(KEYS.admin),
      PETREL_BACKENDS: JSON.stringify({ models: { "tiny-random": { backends: [{ url: backend.url }] } } }),
    },
  });
});
afterAll(async () => {
  await worker?.stop();
  await stopAll(procs);
});

const usage = (id: string) => usageOf(worker.url, KEYS.admin, id);

/** Completion tokens the Worker's own request records counted for these requests (once all are logged). */
async function loggedCompletionTokens(ids: string[]): Promise<number> {
  await expect
    .poll(() => ids.filter((id) => requestRecords(worker.log()).has(id)).length, { timeout: 30_000 })
    .toBe(ids.length);
  const records = requestRecords(worker.log());
  return ids.reduce((sum, id) => sum + (records.get(id)?.completion_tokens ?? 0), 0);
}

describe("a client that vanishes mid-stream on the Worker (HTTP backend)", () => {
  it("concurrent: 2, both streams dropped after the first content chunk → both slots free, usage = tokens generated", async () => {
    const ids = ["drop-pair-1", "drop-pair-2"];
    const dropped = await Promise.all(
      ids.map((requestId) => dropMidStream({ url: worker.url, key: PAIR, body: longStream, requestId })),
    );
    expect(dropped.map((d) => d.status)).toEqual(["200", "200"]);
    // Settled leases, read from the Durable Object itself; they were held for 15 minutes before.
    await expect.poll(async () => (await usage("pair")).in_flight, { timeout: 30_000 }).toBe(0);
    const generated = await loggedCompletionTokens(ids);
    const after = await usage("pair");
    expect(generated).toBeGreaterThanOrEqual(2);
    expect(after).toMatchObject({ requests: 2, completion_tokens: generated });
    expect(after.prompt_tokens).toBeGreaterThan(0);
    const next = await chatAs(worker.url, PAIR, { ...longStream, stream: false, max_tokens: 2 });
    expect(next.status).toBe(200);
  }, 120_000);

  it("ten dropped streams on one key → ten requests, every generated token billed, nothing left in flight", async () => {
    const ids = Array.from({ length: 10 }, (_, i) => `drop-many-${i}`);
    for (const requestId of ids)
      await dropMidStream({ url: worker.url, key: MANY, body: longStream, requestId });
    await expect.poll(async () => (await usage("many")).in_flight, { timeout: 30_000 }).toBe(0);
    const generated = await loggedCompletionTokens(ids);
    expect(generated).toBeGreaterThanOrEqual(10);
    expect(await usage("many")).toMatchObject({ requests: 10, completion_tokens: generated });
  }, 120_000);
});
