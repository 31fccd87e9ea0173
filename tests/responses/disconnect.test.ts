// A client that vanishes in the middle of a Responses stream (its socket destroyed after the first
// output_text delta), on real wrangler dev and on the real Node gateway, both in front of a real Petrel
// backend server running tiny-random (greedy on this prompt it never picks an end-of-sequence token,
// so it would stream to max_output_tokens): generation stops at the backend, the key is billed for the
// tokens that were generated, and the stored response is `incomplete` with what was generated.
// The backend server runs in the test process with its engine behind a gate (gated-sessions.ts): in the
// dropped stream the engine is held after its first steps until the backend has seen the client go, so
// the cancel never races the engine to the end of a 200-token generation (on an idle machine
// tiny-random finishes before a disconnect has passed through wrangler dev and workerd).
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { RequestRecord } from "../../service/src/http/index.js";
import { nodeSessions } from "../../service/src/ort/node.js";
import type { BackendServer } from "../../service/src/server/backend-server.js";
import { gatedSessions, startGatedBackend } from "../backends/helpers/gated-sessions.js";
import { type Proc, startNodeGateway, stopAll } from "../backends/helpers/processes.js";
import { assertResponseMatchesContract } from "../helpers/contract.js";
import { type RunningWrangler, startWrangler } from "../helpers/wrangler.js";
import { dropMidStream, requestRecords, usageOf } from "../reliability/helpers.js";
import { KEYS, sha256Hex } from "../security/helpers.js";

const MAX = 200;
// Session runs (the prefill, then decode steps) the engine may make in the dropped stream before it
// waits at the gate: enough for the first output_text delta, far short of MAX.
const STEPS = 8;
const request = { model: "tiny-random", input: "hi", temperature: 0, max_output_tokens: MAX };
const unlimited = { requestsPerMinute: null, tokensPerMinute: null, concurrent: null };
const keys = { keys: [{ id: "alice", sha256: sha256Hex(KEYS.alice), limits: unlimited }] };
const admin = sha256Hex(KEYS.admin);

interface Target {
  url: string;
  /** Everything the gateway (Worker or Node) printed so far. */
  log(): string;
}
const procs: Proc[] = [];
const { sessions, gate } = gatedSessions(nodeSessions({ intraOpNumThreads: 1 }));
/** The backend's request records, by request id. */
const atBackend = new Map<string, RequestRecord>();
let backend: BackendServer;
let worker: RunningWrangler;
const targets: Record<string, Target> = {};

beforeAll(async () => {
  backend = await startGatedBackend(sessions, atBackend);
  const backends = { models: { "tiny-random": { backends: [{ kind: "petrel", url: backend.url }] } } };
  const dir = mkdtempSync(join(tmpdir(), "petrel-responses-drop-"));
  const keysFile = join(dir, "keys.json");
  writeFileSync(keysFile, JSON.stringify(keys));
  const [started, gateway] = await Promise.all([
    startWrangler({
      persistTo: join(dir, "wrangler"),
      vars: {
        PETREL_KEYS: JSON.stringify(keys),
        PETREL_ADMIN_KEY_SHA256: admin,
        PETREL_BACKENDS: JSON.stringify(backends),
      },
    }),
    startNodeGateway(backends, {
      args: ["--responses-db", join(dir, "responses.sqlite")],
      env: { PETREL_KEYS_FILE: keysFile, PETREL_ADMIN_KEY_SHA256: admin },
    }),
  ]);
  worker = started;
  procs.push(gateway);
  targets["wrangler dev"] = { url: worker.url, log: () => worker.log() };
  targets["the Node gateway"] = { url: gateway.url, log: () => gateway.output() };
});
afterEach(() => gate.allow(Number.POSITIVE_INFINITY));
afterAll(async () => {
  gate.allow(Number.POSITIVE_INFINITY);
  await worker?.stop();
  await stopAll(procs);
  await backend?.drain(1_000);
});

const post = (url: string, body: unknown) =>
  fetch(`${url}/v1/responses`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${KEYS.alice}` },
    body: JSON.stringify(body),
  });
const retrieve = (url: string, id: string) =>
  fetch(`${url}/v1/responses/${id}`, { headers: { authorization: `Bearer ${KEYS.alice}` } });

/** The request record a process printed for this request id, once it has printed it. */
async function recordOf(log: () => string, requestId: string) {
  await expect.poll(() => requestRecords(log()).has(requestId), { timeout: 30_000 }).toBe(true);
  return requestRecords(log()).get(requestId);
}

describe.each(["wrangler dev", "the Node gateway"])(
  "a client that leaves a Responses stream on %s",
  (name) => {
    it(`left alone, this request streams all ${MAX} tokens (the premise of the next test)`, async () => {
      const response = await post(targets[name]?.url ?? "", request);
      await assertResponseMatchesContract("POST", "/v1/responses", response);
      const body = await response.json();
      expect(body).toMatchObject({
        status: "incomplete",
        incomplete_details: { reason: "max_output_tokens" },
      });
      expect(body.usage.output_tokens).toBe(MAX);
    });

    it("dropped after the first delta: generation stops, the tokens generated are billed, the stored response is incomplete", async () => {
      const target = targets[name] as Target;
      const requestId = `drop-responses-${name.replace(/\W/g, "-")}`;
      const settled = () =>
        expect
          .poll(async () => (await usageOf(target.url, KEYS.admin, "alice")).in_flight, { timeout: 30_000 })
          .toBe(0);
      await settled(); // the previous request's settlement may still be on its way (waitUntil)
      const before = await usageOf(target.url, KEYS.admin, "alice");
      gate.allow(STEPS); // then the engine waits until the backend has seen the client go
      const dropped = await dropMidStream({
        url: target.url,
        key: KEYS.alice,
        body: { ...request, stream: true },
        requestId,
        path: "/v1/responses",
      });
      expect(dropped.status).toBe("200");
      const id = /"id":"(resp_[^"]+)"/.exec(dropped.text)?.[1] ?? "";
      expect(id).not.toBe("");

      // The backend stopped generating: its own record, written while the engine was still held,
      // says the request was cancelled short of MAX.
      await expect.poll(() => atBackend.has(requestId), { timeout: 30_000 }).toBe(true);
      const backendRecord = atBackend.get(requestId);
      gate.allow(Number.POSITIVE_INFINITY);
      expect(backendRecord?.outcome).toBe("cancelled");
      expect(backendRecord?.completion_tokens).toBeLessThan(MAX);
      // The gateway counted what it relayed and billed exactly that to the key.
      const atGateway = await recordOf(target.log, requestId);
      expect(atGateway?.outcome).toBe("cancelled");
      const generated = atGateway?.completion_tokens ?? 0;
      expect(generated).toBeGreaterThanOrEqual(dropped.contentChunks);
      expect(generated).toBeLessThanOrEqual(backendRecord?.completion_tokens ?? 0);
      await settled();
      const after = await usageOf(target.url, KEYS.admin, "alice");
      expect(after.requests - before.requests).toBe(1);
      expect(after.completion_tokens - before.completion_tokens).toBe(generated);

      // Stored after the client left (waitUntil on the Worker): incomplete, holding what was generated.
      await expect.poll(async () => (await retrieve(target.url, id)).status, { timeout: 30_000 }).toBe(200);
      const stored = await retrieve(target.url, id);
      await assertResponseMatchesContract("GET", `/v1/responses/${id}`, stored);
      const response = await stored.json();
      expect(response).toMatchObject({
        id,
        status: "incomplete",
        incomplete_details: { reason: "client_disconnected" },
        output: [{ type: "message", status: "incomplete" }],
      });
      const sent = [...dropped.text.matchAll(/"delta":("(?:[^"\\]|\\.)*")/g)].map((m) =>
        JSON.parse(m[1] ?? '""'),
      );
      expect(response.output[0].content[0].text.startsWith(sent.join(""))).toBe(true);
    }, 120_000);
  },
);
