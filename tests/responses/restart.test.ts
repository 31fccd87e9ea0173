// Stored responses outlive the process that stored them: wrangler dev stopped and started again on the
// same local Durable Object persistence (--persist-to), and the Node gateway killed (SIGKILL, no
// graceful close) and started again on the same SQLite file. After the restart a kept response is
// retrieved whole, listed and chained from; one deleted before the restart stays deleted.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI, { NotFoundError } from "openai";
import { afterAll, describe, expect, it } from "vitest";
import { type Proc, startBackend, startNodeGateway, stopAll } from "../backends/helpers/processes.js";
import { type RunningWrangler, startWrangler } from "../helpers/wrangler.js";
import { KEYS, sha256Hex } from "../security/helpers.js";

const unlimited = { requestsPerMinute: null, tokensPerMinute: null, concurrent: null };
const keys = { keys: [{ id: "alice", sha256: sha256Hex(KEYS.alice), limits: unlimited }] };
const procs: Proc[] = [];
const workers: RunningWrangler[] = [];

afterAll(async () => {
  for (const worker of workers) await worker.stop();
  await stopAll(procs);
});

const client = (url: string) => new OpenAI({ baseURL: `${url}/v1`, apiKey: KEYS.alice, maxRetries: 0 });

interface Server {
  url: string;
  stop(): Promise<void>;
}

/** Stores two responses, deletes one, restarts the server, and checks what the new process serves. */
async function survivesRestart(model: string, start: () => Promise<Server>) {
  const params = { model, temperature: 0, max_output_tokens: 8 };
  const first = await start();
  const kept = await client(first.url).responses.create({ ...params, input: "Remember the lighthouse." });
  const keptItems = await client(first.url).responses.inputItems.list(kept.id);
  const doomed = await client(first.url).responses.create({ ...params, input: "Forget this." });
  await client(first.url).responses.delete(doomed.id);
  await first.stop();

  const second = await start();
  const got = await client(second.url).responses.retrieve(kept.id);
  expect(got).toEqual(kept);
  expect((await client(second.url).responses.inputItems.list(kept.id)).data).toEqual(keptItems.data);
  const next = await client(second.url).responses.create({
    ...params,
    input: "What did I ask you to remember?",
    previous_response_id: kept.id,
  });
  const alone = await client(second.url).responses.create({
    ...params,
    input: "What did I ask you to remember?",
  });
  expect(next.previous_response_id).toBe(kept.id);
  expect(next.usage?.input_tokens).toBeGreaterThan(alone.usage?.input_tokens ?? 0);
  const gone = await client(second.url)
    .responses.retrieve(doomed.id)
    .catch((e: unknown) => e);
  expect(gone).toBeInstanceOf(NotFoundError);
  await second.stop();
}

describe("stored responses survive a restart", () => {
  it("of wrangler dev on the same local Durable Object persistence", async () => {
    const persistTo = mkdtempSync(join(tmpdir(), "petrel-responses-restart-"));
    await survivesRestart("petrel-mini", async () => {
      const worker = await startWrangler({ persistTo, vars: { PETREL_KEYS: JSON.stringify(keys) } });
      workers.push(worker);
      return worker;
    });
  }, 300_000);

  it("of the Node gateway (SIGKILL) on the same SQLite file", async () => {
    const backend = await startBackend();
    procs.push(backend);
    const dir = mkdtempSync(join(tmpdir(), "petrel-responses-restart-"));
    const keysFile = join(dir, "keys.json");
    writeFileSync(keysFile, JSON.stringify(keys));
    const config = { models: { "tiny-random": { backends: [{ kind: "petrel", url: backend.url }] } } };
    await survivesRestart("tiny-random", async () => {
      const gateway = await startNodeGateway(config, {
        args: ["--responses-db", join(dir, "responses.sqlite")],
        env: { PETREL_KEYS_FILE: keysFile },
      });
      procs.push(gateway);
      return {
        url: gateway.url,
        stop: async () => {
          gateway.kill("SIGKILL");
          await gateway.exited;
        },
      };
    });
  }, 120_000);
});
