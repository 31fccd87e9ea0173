// llama.cpp as the engine benchmarks' yardstick: node-llama-cpp (prebuilt CPU binary) on the GGUF
// files model-export writes into the same model directory, behind the engine bench's System call
// ("N greedy tokens from these ids") plus one for N sequences decoded together in one context.
//
// Threads: node-llama-cpp gives llama.cpp one number for both decode and prompt ("batch") threads.
// This build has no OpenMP, so every llama_decode with n threads starts n−1 worker threads for that
// one graph (ggml's disposable thread pool) and its barriers spin; on a shared 2-core machine a
// spinning thread waits whole scheduler slices for a descheduled partner. Rows name their count.
import { existsSync, readFileSync } from "node:fs";
import {
  getLlama,
  type Llama,
  type LlamaContext,
  LlamaLogLevel,
  type Token,
  TokenBias,
} from "node-llama-cpp";

export const GGUF_FILES = { f32: "model.gguf", q8_0: "model-q8_0.gguf" } as const;
export type GgufKind = keyof typeof GGUF_FILES;

export interface LlamaCppSystem {
  name: string;
  generate(promptIds: number[], tokens: number): Promise<number[]>;
  /** One prompt per sequence, decoded concurrently in one context (llama.cpp batches them per step). */
  generateMany(prompts: number[][], tokens: number): Promise<number[][]>;
  dispose(): Promise<void>;
}

let llama: Promise<Llama> | undefined;
// maxThreads 0: each context gets exactly the threads it asks for, never fewer
const instance = () => {
  llama ??= getLlama({ gpu: false, build: "never", maxThreads: 0, logLevel: LlamaLogLevel.error });
  return llama;
};

/** The directory's end ids: config.json's and generation_config.json's eos_token_id. */
function stopIds(dir: string): number[] {
  const read = (file: string) => JSON.parse(readFileSync(`${dir}/${file}`, "utf8")).eos_token_id;
  return [read("config.json"), read("generation_config.json")].flat().filter((id) => typeof id === "number");
}

export function hasGguf(dir: string, kind: GgufKind): boolean {
  return existsSync(`${dir}/${GGUF_FILES[kind]}`);
}

export async function llamaCppSystem(
  dir: string,
  kind: GgufKind,
  threads: number,
  sequences = 1,
): Promise<LlamaCppSystem> {
  const model = await (await instance()).loadModel({ modelPath: `${dir}/${GGUF_FILES[kind]}` });
  const trained = model.trainContextSize;
  const context: LlamaContext = await model.createContext({
    contextSize: trained * sequences,
    sequences,
    threads,
    batchSize: Math.min(512, trained * sequences),
  });
  // every sequence decodes exactly `tokens` tokens, as the other systems do: the stop ids banned
  const bias = new TokenBias(model.tokenizer);
  for (const id of stopIds(dir)) bias.set(id as Token, "never");
  const pool = Array.from({ length: sequences }, () => context.getSequence());

  async function run(index: number, promptIds: number[], tokens: number): Promise<number[]> {
    const sequence = pool[index];
    if (!sequence) throw new Error(`sequence ${index} of ${sequences}`);
    await sequence.clearHistory();
    const out: number[] = [];
    for await (const token of sequence.evaluate(promptIds as Token[], { temperature: 0, tokenBias: bias })) {
      out.push(token);
      if (out.length >= tokens) break;
    }
    return out;
  }

  return {
    name: `llama.cpp ${kind.toUpperCase()}(${threads}-thread${threads > 1 ? "s" : ""}${sequences > 1 ? `, ${sequences} seq` : ""})`,
    generate: (promptIds, tokens) => run(0, promptIds, tokens),
    generateMany: (prompts, tokens) => Promise.all(prompts.map((p, i) => run(i, p, tokens))),
    async dispose() {
      await context.dispose();
      await model.dispose();
    },
  };
}
