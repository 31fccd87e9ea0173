// Streaming guarantees: deltas never split a character (Chinese and emoji), stop strings never
// leak, end-of-turn ids stop without appearing. Real tokenizer throughout; the model is the real
// tiny-random export, or a fake scripted session where exact text must be produced.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEngine, type PetrelEngine } from "../../service/src/engine/index.js";
import { nodeSessions } from "../../service/src/ort/node.js";
import { readModelDir } from "../../service/src/ort/node-files.js";
import { fakeScriptedSessions } from "./fake-session.js";
import { collect, engineOn, modelDir } from "./helpers.js";

let engine: PetrelEngine;
beforeAll(async () => {
  engine = await engineOn("tiny-random", nodeSessions());
});
afterAll(() => engine.dispose());

const cjkEmoji = "你好，世界！今天天气很好 😀🎉👍🏽 中文和表情符号 🚀";
const prompt = [1, 604, 393, 419, 13];

async function scripted(text: string, extra: number[] = []) {
  const script = [...engine.tokenizer.encode(text), ...extra];
  const sessions = fakeScriptedSessions({
    script,
    promptLength: prompt.length,
    vocabSize: 1024,
    numLayers: 2,
  });
  const files = await readModelDir(modelDir("tiny-random"));
  return { script, fake: await createEngine({ files, sessions }) };
}

function assertWholeCharacters(deltas: string[], final: string) {
  expect(deltas.join("")).toBe(final);
  for (const delta of deltas) {
    expect(delta).not.toMatch(/[\uD800-\uDBFF]$/); // no high surrogate cut from its pair
    expect(delta).not.toMatch(/^[\uDC00-\uDFFF]/);
  }
}

describe("no split characters", () => {
  it("real model: deltas concatenate to the decoded ids, a character never spans two deltas", async () => {
    const cjkIds = engine.tokenizer.encode(cjkEmoji);
    const logitBias = Object.fromEntries(cjkIds.map((id) => [id, 8]));
    for (const seed of [1, 2, 3]) {
      const r = await collect(
        engine.generate({ messages: [{ role: "user", content: cjkEmoji }], logitBias, maxTokens: 40, seed }),
      );
      assertWholeCharacters(r.deltas[0] ?? [], engine.tokenizer.decode(r.ids[0] ?? []));
    }
  });

  it("fake scripted session: Chinese and emoji byte tokens are held until each character is complete", async () => {
    const { script, fake } = await scripted(cjkEmoji);
    const r = await collect(fake.generateFromIds(prompt, { temperature: 0, maxTokens: script.length }));
    expect(r.texts[0]).toBe(cjkEmoji);
    expect(r.ids[0]).toEqual(script);
    assertWholeCharacters(r.deltas[0] ?? [], cjkEmoji);
    for (const delta of r.deltas[0] ?? []) expect(delta).not.toContain("\uFFFD");
    // byte-level BPE spells some characters over several tokens: fewer deltas than tokens
    expect((r.deltas[0] ?? []).length).toBeLessThan(script.length);
  });
});

describe("stop strings never leak", () => {
  it("fake scripted session: a stop string split across tokens is cut with everything after it", async () => {
    const { script, fake } = await scripted("Hello, world! The END is near");
    const r = await collect(
      fake.generateFromIds(prompt, { temperature: 0, stop: ["END", "zzz"], maxTokens: script.length }),
    );
    expect(r.texts[0]).toBe("Hello, world! The ");
    expect(r.finish[0]).toBe("stop");
    for (const delta of r.deltas[0] ?? []) expect(delta).not.toMatch(/E$|EN$|END/);
  });

  it("fake scripted session: a stop string inside a multi-byte text (emoji) is cut exactly", async () => {
    const { script, fake } = await scripted("答案是😀，不是🎉。");
    const r = await collect(
      fake.generateFromIds(prompt, { temperature: 0, stop: ["，不"], maxTokens: script.length }),
    );
    expect(r.texts[0]).toBe("答案是😀");
    expect(r.finish[0]).toBe("stop");
  });

  it("held-back text that never completes a stop string is released at the end", async () => {
    const { script, fake } = await scripted("abc EN");
    const r = await collect(
      fake.generateFromIds(prompt, { temperature: 0, stop: ["END"], maxTokens: script.length }),
    );
    expect(r.texts[0]).toBe("abc EN");
    expect(r.finish[0]).toBe("length");
  });

  it("real model: a stop string taken from an unconstrained run truncates the same run exactly", async () => {
    const params = {
      messages: [{ role: "user" as const, content: "Tell me a story." }],
      maxTokens: 48,
      seed: 11,
    };
    const free = (await collect(engine.generate(params))).texts[0] ?? "";
    const stop = free.slice(20, 23);
    expect(stop.length).toBe(3);
    const r = await collect(engine.generate({ ...params, stop: [stop] }));
    expect(r.texts[0]).toBe(free.slice(0, free.indexOf(stop)));
    expect(r.texts[0]).not.toContain(stop);
    expect(r.finish[0]).toBe("stop");
  });
});

describe("end of turn", () => {
  it("fake scripted session: an eos id stops with finish 'stop' and never appears in text or ids", async () => {
    const eos = engine.tokenizer.tokenToId("<|im_end|>") as number;
    const { fake } = await scripted("Hi there", [eos, ...engine.tokenizer.encode(" more")]);
    const r = await collect(fake.generateFromIds(prompt, { temperature: 0, maxTokens: 30 }));
    expect(r.texts[0]).toBe("Hi there");
    expect(r.ids[0]).not.toContain(eos);
    expect(r.finish[0]).toBe("stop");
    expect(r.usage).toEqual({
      promptTokens: prompt.length,
      completionTokens: engine.tokenizer.encode("Hi there").length + 1,
    });
  });
});
