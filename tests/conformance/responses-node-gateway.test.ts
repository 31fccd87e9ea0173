// The Responses API conformance suites against the real Node gateway process
// (service/src/entry/node-gateway.ts, stored responses in a SQLite file) in front of a real Petrel
// backend server running tiny-random, with two client keys from PETREL_KEYS_FILE.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { type Proc, startBackend, startNodeGateway, stopAll } from "../backends/helpers/processes.js";
import { KEYS, sha256Hex } from "../security/helpers.js";
import { describeFrameworkResponses } from "./responses-frameworks-suite.js";
import { describeOpenAIResponses, type ResponsesTarget } from "./responses-openai-suite.js";

const unlimited = { requestsPerMinute: null, tokensPerMinute: null, concurrent: null };
const procs: Proc[] = [];
let target: ResponsesTarget;

beforeAll(async () => {
  const backend = await startBackend();
  procs.push(backend);
  const dir = mkdtempSync(join(tmpdir(), "petrel-responses-node-"));
  const keysFile = join(dir, "keys.json");
  const keys = [
    { id: "alice", sha256: sha256Hex(KEYS.alice), limits: unlimited },
    { id: "bob", sha256: sha256Hex(KEYS.bob), limits: unlimited },
  ];
  writeFileSync(keysFile, JSON.stringify({ keys }));
  const gateway = await startNodeGateway(
    { models: { "tiny-random": { backends: [{ kind: "petrel", url: backend.url }] } } },
    { args: ["--responses-db", join(dir, "responses.sqlite")], env: { PETREL_KEYS_FILE: keysFile } },
  );
  procs.push(gateway);
  target = {
    url: gateway.url,
    model: "tiny-random",
    keys: { a: KEYS.alice, b: KEYS.bob },
    maxOutputTokens: 12,
  };
});
afterAll(() => stopAll(procs));

const node = "the Node gateway (SQLite store; a Petrel backend server, tiny-random)";
describeOpenAIResponses(node, () => target);
describeFrameworkResponses(node, () => target);
