// Constrained decoding inside real workerd (wrangler dev): XGrammar's wasm arrives as a precompiled
// module import and reaches the Emscripten glue through instantiateWasm (Workers refuse to compile
// wasm from bytes, so loading at all is the first check). On the shipped int8 own-cache file, greedy
// and 24 seeded sampled runs at temperature 1 parse and validate against the schema; a schema the
// grammar engine refuses comes back as an InvalidParamError naming response_format.
import { type Schema, Validator } from "@cfworker/json-schema";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GenerateEvent } from "../../service/src/engine/index.js";
import { collectEvents } from "./helpers.js";
import { type RunningWorker, startTestWorker } from "./workerd/start-worker.js";

let worker: RunningWorker;
beforeAll(async () => {
  worker = await startTestWorker();
});
afterAll(() => worker?.stop());

const schema = {
  type: "object",
  properties: { city: { type: "string" }, days: { type: "integer" }, unit: { enum: ["C", "F"] } },
  required: ["city", "days", "unit"],
  additionalProperties: false,
};
const validator = new Validator(schema as Schema, "2020-12");
const messages = [{ role: "user", content: "Weather request as JSON, please." }];

async function generate(params: object) {
  const body = { model: "petrel-mini", variant: "new-kv-int8", messages, params };
  const response = await fetch(`${worker.url}/generate`, { method: "POST", body: JSON.stringify(body) });
  const json = (await response.json()) as { events: GenerateEvent[]; error?: string; message?: string };
  return { status: response.status, json, ...collectEvents(json.events ?? []) };
}

function expectValid(texts: string[], finish: (string | undefined)[]) {
  texts.forEach((text, i) => {
    expect(validator.validate(JSON.parse(text)).errors, text).toEqual([]);
    expect(finish[i]).toBe("stop");
  });
}

describe("XGrammar inside workerd", () => {
  it("greedy output under a JSON schema validates", async () => {
    const r = await generate({ temperature: 0, grammar: { kind: "json_schema", schema } });
    expect(r.status, r.json.message).toBe(200);
    expectValid(r.texts, r.finish);
  });

  it("24 seeded sampled runs at temperature 1 validate (3 requests of n=8)", async () => {
    for (const seed of [1, 2, 3]) {
      const r = await generate({ temperature: 1, seed, n: 8, grammar: { kind: "json_schema", schema } });
      expect(r.status, r.json.message).toBe(200);
      expect(r.texts).toHaveLength(8);
      expectValid(r.texts, r.finish);
    }
  });

  it("a schema XGrammar aborts on is an InvalidParamError for response_format, and the next request works", async () => {
    const bad = await generate({
      grammar: { kind: "json_schema", schema: { type: "string", pattern: "(" } },
    });
    expect(bad.status).toBe(500); // the test worker's catch-all; the HTTP layer maps this error to 400
    expect(bad.json.error).toBe("InvalidParamError");
    expect(bad.json.message).toMatch(/response_format.*Regex parsing error/);
    const good = await generate({ temperature: 0, grammar: { kind: "json_schema", schema } });
    expectValid(good.texts, good.finish);
  });
});
