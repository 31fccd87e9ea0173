// The Responses API conformance suites against real workerd (`wrangler dev` with the repository's
// wrangler.toml): the bundled model running in-worker, stored responses in a Durable Object per key
// (SQLite storage, persisted to a fresh folder), two client keys from PETREL_KEYS.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { type RunningWrangler, startWrangler } from "../helpers/wrangler.js";
import { KEYS, sha256Hex } from "../security/helpers.js";
import { describeFrameworkResponses } from "./responses-frameworks-suite.js";
import { describeOpenAIResponses, type ResponsesTarget } from "./responses-openai-suite.js";

const unlimited = { requestsPerMinute: null, tokensPerMinute: null, concurrent: null };
const keys = [
  { id: "alice", sha256: sha256Hex(KEYS.alice), limits: unlimited },
  { id: "bob", sha256: sha256Hex(KEYS.bob), limits: unlimited },
];
let worker: RunningWrangler;
let target: ResponsesTarget;

beforeAll(async () => {
  worker = await startWrangler({
    persistTo: mkdtempSync(join(tmpdir(), "petrel-responses-workerd-")),
    vars: { PETREL_KEYS: JSON.stringify({ keys }) },
  });
  target = {
    url: worker.url,
    model: "petrel-mini",
    keys: { a: KEYS.alice, b: KEYS.bob },
    maxOutputTokens: 8,
  };
});
afterAll(async () => {
  await worker?.stop();
});

const workerd = "wrangler dev (in-worker engine, Durable Object store)";
describeOpenAIResponses(workerd, () => target);
describeFrameworkResponses(workerd, () => target);
