// The systems the engine benchmark compares, behind one "generate N greedy tokens from these ids"
// call: Petrel's engine on onnxruntime-node and on onnxruntime-web (WASM), and transformers.js
// (which itself runs on onnxruntime-node) loading the same model directory from disk.
//
// Files: transformers.js loads the convention layout (model_quantized.onnx for q8); Petrel loads
// the new-KV layout of the same weights (model_new_kv_quantized.onnx: same operators and
// kernels, but it takes an additive attention bias and gives back only this run's K/V instead of
// the whole cache) where the directory has it, and is also timed on transformers.js's own file.
import { existsSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { AutoModelForCausalLM, env, Tensor } from "@huggingface/transformers";
import {
  createEngine,
  type OnnxVariant,
  onnxPath,
  type SessionFactory,
} from "../service/src/engine/index.js";
import { nodeSessions } from "../service/src/ort/node.js";
import { readModelDir } from "../service/src/ort/node-files.js";
import { webSessions } from "../service/src/ort/web.js";

export interface System {
  name: string;
  /** Greedy ids, exactly `tokens` of them (end-of-text suppressed). */
  generate(promptIds: number[], tokens: number): Promise<number[]>;
}

export async function petrelSystem(
  name: string,
  dir: string,
  variant: OnnxVariant,
  factory: SessionFactory,
): Promise<System> {
  const engine = await createEngine({ files: await readModelDir(dir, variant), sessions: factory, variant });
  const banEos = Object.fromEntries(engine.arch.eosTokenIds.map((id) => [id, -100]));
  const eos = engine.tokenizer.eosTokenId();
  if (eos !== undefined) banEos[eos] = -100;
  return {
    name,
    async generate(promptIds, tokens) {
      const ids: number[] = [];
      const stream = engine.generateFromIds(promptIds, {
        temperature: 0,
        maxTokens: tokens,
        logitBias: banEos,
      });
      for await (const event of stream) if (event.type === "delta") ids.push(...event.tokenIds);
      return ids;
    },
  };
}

/** transformers.js with its defaults, or with one intra-op thread (Petrel's setting for small models). */
export async function transformersSystem(
  dir: string,
  variant: OnnxVariant,
  oneThread = false,
): Promise<System> {
  env.allowRemoteModels = false;
  env.localModelPath = `${dirname(dir)}/`;
  const model = await AutoModelForCausalLM.from_pretrained(basename(dir), {
    dtype: variant === "int8" ? "q8" : "fp32",
    device: "cpu",
    ...(oneThread ? { session_options: { intraOpNumThreads: 1 } } : {}),
  });
  return {
    name: oneThread ? "transformers.js(1-thread)" : "transformers.js",
    async generate(promptIds, tokens) {
      const input = new Tensor("int64", BigInt64Array.from(promptIds, BigInt), [1, promptIds.length]);
      const mask = new Tensor("int64", new BigInt64Array(promptIds.length).fill(1n), [1, promptIds.length]);
      const output = (await model.generate({
        input_ids: input,
        attention_mask: mask,
        max_new_tokens: tokens,
        min_new_tokens: tokens,
        do_sample: false,
      })) as Tensor;
      return Array.from(output.data as BigInt64Array, Number).slice(promptIds.length);
    },
  };
}

/** The new-KV layout of `variant`'s weights where the directory has it, else `variant` itself. */
export function petrelVariant(dir: string, variant: OnnxVariant): OnnxVariant {
  const own = variant === "int8" ? "new-kv-int8" : variant === "fp32" ? "new-kv" : variant;
  return existsSync(join(dir, onnxPath(own))) ? own : variant;
}

export async function allSystems(dir: string, variant: OnnxVariant): Promise<System[]> {
  const own = petrelVariant(dir, variant);
  return [
    await petrelSystem("petrel+onnxruntime-node", dir, own, nodeSessions()),
    // ORT's default thread count (what transformers.js gets), to separate that choice from the loop
    await petrelSystem(
      "petrel+onnxruntime-node(ort-default-threads)",
      dir,
      own,
      nodeSessions({ intraOpNumThreads: 0 }),
    ),
    // the very file transformers.js loads: the cache comes back through present.* every step
    await petrelSystem("petrel+onnxruntime-node(transformers.js file)", dir, variant, nodeSessions()),
    await petrelSystem("petrel+onnxruntime-web", dir, own, webSessions()),
    await transformersSystem(dir, variant),
    // the same thread setting as Petrel's default: what is left of the ratio is the loop itself
    await transformersSystem(dir, variant, true),
  ];
}
