// Must show: greedy continuations equal PyTorch's (golden.json) token for token on
// onnxruntime-node and onnxruntime-web (WASM, on Node), and the chat template + tokenizer
// reproduce the golden prompts and ids exactly.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PetrelEngine, SessionFactory } from "../../service/src/engine/index.js";
import { nodeSessions } from "../../service/src/ort/node.js";
import { webSessions } from "../../service/src/ort/web.js";
import { collect, engineOn, expectedGreedy, readGolden } from "./helpers.js";

const models = ["tiny-random", "petrel-mini"];
const flavours: [string, () => SessionFactory][] = [
  ["onnxruntime-node", () => nodeSessions()],
  ["onnxruntime-web", () => webSessions()],
];

describe.each(models)("golden %s", (model) => {
  const golden = readGolden(model);

  // fp32 model.onnx, and model_new_kv.onnx (the same weights in the new-KV layout: no present outputs)
  const runs = flavours.flatMap(([name, sessions]) =>
    (["fp32", "new-kv"] as const).map((variant) => [name, sessions, variant] as const),
  );
  describe.each(runs)("on %s (%s)", (_name, sessions, variant) => {
    let engine: PetrelEngine;
    beforeAll(async () => {
      engine = await engineOn(model, sessions(), variant);
    });
    afterAll(() => engine.dispose());

    it.each(golden.cases.map((c) => [c.name, c] as const))("greedy %s equals PyTorch", async (_n, c) => {
      const eos = [...(golden.eos_token_ids ?? []), ...engine.arch.eosTokenIds];
      const result = await collect(
        engine.generateFromIds(c.input_ids, { temperature: 0, maxTokens: c.max_new_tokens }),
      );
      const expected = expectedGreedy(c, eos);
      expect(result.ids[0] ?? []).toEqual(expected);
      expect(result.finish[0]).toBe(expected.length < c.greedy_ids.length ? "stop" : "length");
    });
  });

  it("chat template and tokenizer reproduce the golden prompts and ids", async () => {
    const engine = await engineOn(model, nodeSessions(), "int8");
    for (const c of golden.cases) {
      if (c.messages) expect(engine.tokenizer.renderChat(c.messages)).toBe(c.prompt);
      expect(engine.tokenizer.encode(c.prompt)).toEqual(c.input_ids);
    }
    await engine.dispose();
  });
});
