// Must show: the GGUF files model-export writes (petrel_export.gguf) load in llama.cpp through
// node-llama-cpp's prebuilt CPU binary; llama.cpp's tokenizer, read from GGUF metadata, reproduces
// the golden prompt ids; F32 greedy decoding equals PyTorch's (golden.json) token for token. Q8_0
// quantizes every matrix (activations too, in llama.cpp's dot products), so it is held to what it
// measures: the next-token choice along the golden continuation (teacher-forced) agrees with
// PyTorch at ≥98% of positions (petrel-mini: 202/204) and on every first token.
import {
  type ControlledEvaluateInputItem,
  getLlama,
  type Llama,
  type LlamaContextSequence,
  LlamaLogLevel,
  type Token,
} from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GoldenCase, modelDir, readGolden } from "./helpers.js";

const models = ["tiny-random", "petrel-mini"];
// golden.json ids are plain numbers; node-llama-cpp brands its token type
const tokens = (ids: number[]) => ids as Token[];

async function greedy(sequence: LlamaContextSequence, c: GoldenCase): Promise<number[]> {
  await sequence.clearHistory();
  const out: number[] = [];
  for await (const token of sequence.evaluate(tokens(c.input_ids), { temperature: 0, yieldEogToken: true })) {
    out.push(token);
    if (out.length >= c.max_new_tokens || sequence.model.isEogToken(token)) break;
  }
  return out;
}

/** llama.cpp's argmax after each golden prefix: the prompt, then PyTorch's greedy tokens one by one. */
async function teacherForced(sequence: LlamaContextSequence, c: GoldenCase): Promise<number[]> {
  await sequence.clearHistory();
  const ids = tokens([...c.input_ids, ...c.greedy_ids.slice(0, -1)]);
  const first = c.input_ids.length - 1;
  const next = { generateNext: { token: true, options: { temperature: 0 } } };
  const input = ids.map((id, i): ControlledEvaluateInputItem => (i >= first ? [id, next] : id));
  const results = await sequence.controlledEvaluate(input);
  return results.slice(first).map((r) => r?.next.token ?? -1);
}

describe.each(models)("llama.cpp on %s GGUF", (name) => {
  const golden = readGolden(name) as ReturnType<typeof readGolden> & {
    cases: (GoldenCase & { greedy_text: string })[];
  };
  let llama: Llama;
  const sequences: Record<"f32" | "q8_0", LlamaContextSequence> = {} as never;

  beforeAll(async () => {
    llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });
    for (const [key, file] of [
      ["f32", "model.gguf"],
      ["q8_0", "model-q8_0.gguf"],
    ] as const) {
      const loaded = await llama.loadModel({ modelPath: `${modelDir(name)}/${file}` });
      const context = await loaded.createContext({ contextSize: 256, threads: 1, sequences: 1 });
      sequences[key] = context.getSequence();
    }
  });
  afterAll(async () => {
    for (const sequence of Object.values(sequences)) await sequence.model.dispose();
    await llama?.dispose();
  });

  it("reads the tokenizer from GGUF metadata: golden prompt ids, greedy text and the chat template", () => {
    const m = sequences.f32.model;
    for (const c of golden.cases) {
      expect(m.tokenize(c.prompt, true)).toEqual(c.input_ids);
      expect(m.detokenize(tokens(c.greedy_ids), true)).toBe(c.greedy_text);
    }
    expect(m.fileInfo.metadata.tokenizer.chat_template).toContain("<|im_start|>");
    expect(m.tokens.bos).toBe(0);
    expect(m.tokens.eos).toBe(2);
    expect(tokens([0, 2]).every((id) => m.isEogToken(id))).toBe(true);
  });

  it.each(golden.cases.map((c) => [c.name, c] as const))("F32 greedy %s equals PyTorch", async (_n, c) => {
    expect(await greedy(sequences.f32, c)).toEqual(c.greedy_ids);
  });

  it("Q8_0 picks PyTorch's next token at ≥98% of golden positions and every first token", async () => {
    let same = 0;
    let total = 0;
    for (const c of golden.cases) {
      const picked = await teacherForced(sequences.q8_0, c);
      expect(picked[0]).toBe(c.greedy_ids[0]);
      same += picked.filter((id, i) => id === c.greedy_ids[i]).length;
      total += c.greedy_ids.length;
    }
    expect(same / total).toBeGreaterThanOrEqual(0.98);
  });
});
