// Constrained decoding end to end on Node: petrel-mini (fp32, own-cache file, the batching engine)
// with XGrammar from service/src/grammar/node.ts. Greedy and 200 seeded sampled runs at temperature 1
// parse and validate against the schema; rows without a grammar in the same batch are untouched;
// onnxruntime-web with the grammar loaded from bytes (web.ts) does the same.
import { readFileSync } from "node:fs";
import { type Schema, Validator } from "@cfworker/json-schema";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GenerateParams, PetrelEngine } from "../../service/src/engine/index.js";
import { createEngine } from "../../service/src/engine/index.js";
import { nodeGrammar } from "../../service/src/grammar/node.js";
import { webGrammar } from "../../service/src/grammar/web.js";
import { nodeSessions } from "../../service/src/ort/node.js";
import { readModelDir } from "../../service/src/ort/node-files.js";
import { webSessions } from "../../service/src/ort/web.js";
import { collect, modelDir } from "./helpers.js";

const person = {
  type: "object",
  properties: {
    name: { type: "string" },
    age: { type: "integer" },
    mood: { enum: ["happy", "sad", "calm"] },
    tags: { type: "array", items: { type: "string" } },
  },
  required: ["name", "age", "mood", "tags"],
  additionalProperties: false,
};
const validator = new Validator(person as Schema, "2020-12");
const messages = [{ role: "user" as const, content: "Describe a person as JSON." }];
const grammar = { kind: "json_schema" as const, schema: person };

function expectValid(texts: string[], finish: (string | undefined)[]): void {
  texts.forEach((text, i) => {
    const result = validator.validate(JSON.parse(text));
    expect(result.errors, text).toEqual([]);
    expect(finish[i]).toBe("stop");
  });
}

let engine: PetrelEngine;
beforeAll(async () => {
  const files = await readModelDir(modelDir("petrel-mini"), "new-kv");
  engine = await createEngine({
    id: "petrel-mini",
    files,
    sessions: nodeSessions(),
    variant: "new-kv",
    grammar: nodeGrammar(),
  });
});
afterAll(() => engine?.dispose());

describe("JSON schema on onnxruntime-node", () => {
  it("greedy output parses and validates, and ends with finish_reason stop", async () => {
    const r = await collect(engine.generate({ messages, temperature: 0, grammar }));
    console.log(`greedy under the schema: ${r.texts[0]}`);
    expectValid(r.texts, r.finish);
  });

  it("200 seeded sampled runs at temperature 1 all validate (25 requests of n=8, 4 at a time)", async () => {
    const texts: string[] = [];
    const finish: (string | undefined)[] = [];
    for (let wave = 0; wave < 25; wave += 4) {
      const seeds = [wave, wave + 1, wave + 2, wave + 3].filter((s) => s < 25);
      const results = await Promise.all(
        seeds.map((seed) => collect(engine.generate({ messages, temperature: 1, seed, n: 8, grammar }))),
      );
      for (const r of results) {
        texts.push(...r.texts);
        finish.push(...r.finish);
      }
    }
    expect(texts).toHaveLength(200);
    expectValid(texts, finish);
    console.log(`200 sampled runs valid; distinct outputs: ${new Set(texts).size}`);
  }, 900_000); // ~10k tokens: ~1 min on an idle 2-core box, several on a loaded one

  it("a seed gives the same constrained text again, alone or sharing steps with others", async () => {
    const params: GenerateParams = { messages, temperature: 1, seed: 99, topP: 0.9, topK: 40, grammar };
    const alone = await collect(engine.generate(params));
    const [shared] = await Promise.all([
      collect(engine.generate(params)),
      collect(engine.generate({ ...params, seed: 5, n: 2 })),
    ]);
    expect(shared?.texts).toEqual(alone.texts);
  });

  it("rows without a grammar in the same batch decode exactly as alone", async () => {
    const plain: GenerateParams = { messages, temperature: 0, maxTokens: 40 };
    const alone = await collect(engine.generate(plain));
    const [mixed] = await Promise.all([
      collect(engine.generate(plain)),
      collect(engine.generate({ messages, temperature: 1, seed: 3, n: 2, grammar })),
    ]);
    expect(mixed?.ids).toEqual(alone.ids);
  });

  it("logit_bias +100 on a token the grammar forbids never brings it out", async () => {
    const brace = engine.tokenizer.encode("[")[0] as number;
    const r = await collect(
      engine.generate({ messages, temperature: 1, seed: 1, n: 2, logitBias: { [brace]: 100 }, grammar }),
    );
    expectValid(r.texts, r.finish);
  });

  it("an engine without a grammar runtime refuses a grammar param up front", async () => {
    const files = await readModelDir(modelDir("tiny-random"), "new-kv");
    const bare = await createEngine({ files, sessions: nodeSessions(), variant: "new-kv" });
    expect(() => bare.generate({ messages, grammar })).toThrow(/response_format/);
    await bare.dispose();
  });
});

describe("JSON schema on onnxruntime-web (Node), grammar wasm given as bytes", () => {
  it("greedy and seeded runs validate", async () => {
    const wasm = readFileSync(new URL("../../service/src/grammar/generated/xgrammar.wasm", import.meta.url));
    const files = await readModelDir(modelDir("petrel-mini"), "new-kv");
    const web = await createEngine({
      files,
      sessions: webSessions(),
      variant: "new-kv",
      grammar: webGrammar(wasm),
    });
    const greedy = await collect(web.generate({ messages, temperature: 0, grammar }));
    expectValid(greedy.texts, greedy.finish);
    const sampled = await collect(web.generate({ messages, temperature: 1, seed: 11, n: 2, grammar }));
    expectValid(sampled.texts, sampled.finish);
    await web.dispose();
  });
});
