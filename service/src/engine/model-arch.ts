// The model's architecture as the engine needs it: config.json / generation_config.json of GPT-2-
// and Llama-style exports normalised into the few numbers the generate loop uses (the same fields
// transformers.js reads, under either naming). Not the gateway's routing config (gateway/config.ts).
import type { ModelFiles } from "./model-files.js";
import { readJson, requireJson } from "./model-files.js";

export interface ModelArch {
  modelType: string;
  numLayers: number;
  numKvHeads: number;
  headDim: number;
  contextLength: number;
  vocabSize: number;
  eosTokenIds: number[];
  bosTokenId?: number;
  padTokenId?: number;
  /** Defaults from generation_config.json; request parameters override them. */
  defaults: { temperature?: number; topP?: number; topK?: number; repetitionPenalty?: number };
}

type Json = Record<string, unknown>;

function firstNumber(obj: Json, keys: string[]): number | undefined {
  for (const key of keys) {
    const value = obj[key];
    if (typeof value === "number") return value;
  }
  return undefined;
}

function ids(value: unknown): number[] {
  if (typeof value === "number") return [value];
  if (Array.isArray(value)) return value.filter((v): v is number => typeof v === "number");
  return [];
}

export function parseModelArch(files: ModelFiles): ModelArch {
  const config = requireJson<Json>(files, "config.json");
  const generation = readJson<Json>(files, "generation_config.json") ?? {};
  const numLayers = firstNumber(config, ["num_hidden_layers", "n_layer", "num_layers"]) ?? 0;
  const numHeads = firstNumber(config, ["num_attention_heads", "n_head", "num_heads"]) ?? 0;
  const hidden = firstNumber(config, ["hidden_size", "n_embd", "d_model"]) ?? 0;
  const numKvHeads = firstNumber(config, ["num_key_value_heads", "n_kv_head"]) ?? numHeads;
  const headDim = firstNumber(config, ["head_dim"]) ?? (numHeads > 0 ? hidden / numHeads : 0);
  const contextLength =
    firstNumber(config, ["max_position_embeddings", "n_positions", "n_ctx", "block_size"]) ?? 2048;
  const eos = new Set([...ids(generation.eos_token_id), ...ids(config.eos_token_id)]);
  return {
    modelType: typeof config.model_type === "string" ? config.model_type : "unknown",
    numLayers,
    numKvHeads,
    headDim,
    contextLength,
    vocabSize: firstNumber(config, ["vocab_size"]) ?? 0,
    eosTokenIds: [...eos],
    bosTokenId: firstNumber(generation, ["bos_token_id"]) ?? firstNumber(config, ["bos_token_id"]),
    padTokenId: firstNumber(generation, ["pad_token_id"]) ?? firstNumber(config, ["pad_token_id"]),
    defaults: {
      temperature: firstNumber(generation, ["temperature"]),
      topP: firstNumber(generation, ["top_p"]),
      topK: firstNumber(generation, ["top_k"]),
      repetitionPenalty: firstNumber(generation, ["repetition_penalty"]),
    },
  };
}
