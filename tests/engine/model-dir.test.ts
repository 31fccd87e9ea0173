// Loading any directory in the HF / transformers.js layout: GPT-2 or Llama config names, files as
// text, bytes or imported objects, chat_template as a string, a named list, or absent (ChatML).
import { beforeAll, describe, expect, it } from "vitest";
import { createEngine, ModelFileError, type ModelFiles } from "../../service/src/engine/index.js";
import { nodeSessions } from "../../service/src/ort/node.js";
import { readModelDir } from "../../service/src/ort/node-files.js";
import { collect, expectedGreedy, modelDir, readGolden } from "./helpers.js";

let files: ModelFiles;
beforeAll(async () => {
  files = await readModelDir(modelDir("tiny-random"), "fp32");
});

const json = (files: ModelFiles, name: string) =>
  JSON.parse(files[name] as string) as Record<string, unknown>;
const golden = readGolden("tiny-random");

async function greedyMatches(modelFiles: ModelFiles) {
  const engine = await createEngine({ files: modelFiles, sessions: nodeSessions(), variant: "fp32" });
  const c = golden.cases[0];
  if (!c) throw new Error("golden has no cases");
  const r = await collect(
    engine.generateFromIds(c.input_ids, { temperature: 0, maxTokens: c.max_new_tokens }),
  );
  await engine.dispose();
  return JSON.stringify(r.ids[0]) === JSON.stringify(expectedGreedy(c, golden.eos_token_ids ?? []));
}

describe("model directory loading", () => {
  it("GPT-2 config names (n_layer, n_head, n_embd, n_positions) load and decode the same", async () => {
    const llama = json(files, "config.json");
    const gpt2 = {
      model_type: "gpt2",
      n_layer: llama.num_hidden_layers,
      n_head: llama.num_key_value_heads, // kv heads = heads in GPT-2 naming
      n_embd: (llama.num_key_value_heads as number) * (llama.head_dim as number),
      n_positions: llama.max_position_embeddings,
      vocab_size: llama.vocab_size,
      eos_token_id: llama.eos_token_id,
    };
    expect(await greedyMatches({ ...files, "config.json": JSON.stringify(gpt2) })).toBe(true);
  });

  it("kv heads and head_dim come from the ONNX input shapes when config.json lacks them", async () => {
    const { head_dim: _h, num_key_value_heads: _k, ...rest } = json(files, "config.json");
    const engine = await createEngine({
      files: { ...files, "config.json": rest },
      sessions: nodeSessions(),
      variant: "fp32",
    });
    expect([engine.arch.numKvHeads, engine.arch.headDim]).toEqual([2, 16]);
    await engine.dispose();
  });

  it("files may be bytes, ArrayBuffers or imported objects", async () => {
    const enc = new TextEncoder();
    const weights = files["onnx/model.onnx"] as Uint8Array;
    const mixed: ModelFiles = {
      "config.json": enc.encode(files["config.json"] as string),
      "tokenizer.json": json(files, "tokenizer.json"),
      "tokenizer_config.json": enc.encode(files["tokenizer_config.json"] as string).buffer,
      "onnx/model.onnx": weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
    };
    expect(await greedyMatches(mixed)).toBe(true);
  });

  it("a missing required file is a ModelFileError naming it", async () => {
    const { "tokenizer.json": _t, ...rest } = files;
    await expect(createEngine({ files: rest, sessions: nodeSessions(), variant: "fp32" })).rejects.toThrow(
      ModelFileError,
    );
    await expect(createEngine({ files, sessions: nodeSessions(), variant: "int8" })).rejects.toThrow(
      /model_quantized/,
    );
  });

  it("chat_template: a named list picks 'default'; none falls back to ChatML", async () => {
    const base = json(files, "tokenizer_config.json");
    const listed = {
      ...base,
      chat_template: [
        { name: "tool_use", template: "TOOLS" },
        { name: "default", template: "{{ messages[0].content }}!" },
      ],
    };
    const messages = [{ role: "user" as const, content: "hi" }];
    const a = await createEngine({
      files: { ...files, "tokenizer_config.json": listed },
      sessions: nodeSessions(),
      variant: "fp32",
    });
    expect(a.tokenizer.renderChat(messages)).toBe("hi!");
    const { chat_template: _c, ...none } = base;
    const b = await createEngine({
      files: { ...files, "tokenizer_config.json": none },
      sessions: nodeSessions(),
      variant: "fp32",
    });
    expect(b.tokenizer.renderChat(messages)).toBe("<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n");
  });

  it("special tokens from tokenizer_config are template variables; eos ids merge config and tokenizer", async () => {
    const base = json(files, "tokenizer_config.json");
    const withBos = { ...base, chat_template: "{{ bos_token }}{{ messages[0].content }}{{ eos_token }}" };
    const e = await createEngine({
      files: { ...files, "tokenizer_config.json": withBos },
      sessions: nodeSessions(),
      variant: "fp32",
    });
    expect(e.tokenizer.renderChat([{ role: "user", content: "x" }])).toBe("<|endoftext|>x<|im_end|>");
    expect(e.tokenizer.eosTokenId()).toBe(e.tokenizer.tokenToId("<|im_end|>"));
    expect(e.arch.eosTokenIds).toEqual(expect.arrayContaining([2, 0]));
  });
});
