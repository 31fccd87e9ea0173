// Validates request parameters (OpenAI's ranges) and fills defaults: request value, else the
// model's generation_config.json, else OpenAI's default.
import type { ResolvedParams } from "./choice.js";
import type { ModelArch } from "./model-arch.js";
import { randomSeed } from "./sampling/prng.js";
import { type GenerateParams, InvalidParamError } from "./types.js";

function check(ok: boolean, message: string, param: string): void {
  if (!ok) throw new InvalidParamError(message, param);
}

function inRange(value: number | undefined, min: number, max: number, param: string): void {
  if (value === undefined) return;
  check(
    Number.isFinite(value) && value >= min && value <= max,
    `${param} must be between ${min} and ${max}`,
    param,
  );
}

export const maxChoices = 16;
export const maxTopLogprobs = 20;

export function resolveParams(
  params: Omit<GenerateParams, "messages">,
  arch: ModelArch,
  roomForCompletion: number,
): ResolvedParams {
  inRange(params.temperature, 0, 2, "temperature");
  inRange(params.topP, 0, 1, "top_p");
  check(params.topP === undefined || params.topP > 0, "top_p must be greater than 0", "top_p");
  inRange(params.minP, 0, 1, "min_p");
  inRange(params.topK, -1, arch.vocabSize || Number.MAX_SAFE_INTEGER, "top_k");
  inRange(params.presencePenalty, -2, 2, "presence_penalty");
  inRange(params.frequencyPenalty, -2, 2, "frequency_penalty");
  inRange(params.repetitionPenalty, 0.01, 10, "repetition_penalty");
  inRange(params.n, 1, maxChoices, "n");
  check(params.n === undefined || Number.isInteger(params.n), "n must be an integer", "n");
  inRange(params.topLogprobs, 0, maxTopLogprobs, "top_logprobs");
  check(!params.topLogprobs || params.logprobs === true, "top_logprobs requires logprobs", "top_logprobs");
  check(
    params.maxTokens === undefined || (Number.isInteger(params.maxTokens) && params.maxTokens >= 1),
    "max_tokens must be a positive integer",
    "max_tokens",
  );
  check((params.stop?.length ?? 0) <= 4, "at most 4 stop sequences", "stop");
  for (const [id, bias] of Object.entries(params.logitBias ?? {})) {
    const token = Number(id);
    check(
      Number.isInteger(token) && token >= 0 && token < arch.vocabSize,
      `logit_bias token ${id} out of range`,
      "logit_bias",
    );
    check(bias >= -100 && bias <= 100, "logit_bias values must be between -100 and 100", "logit_bias");
  }
  const d = arch.defaults;
  return {
    maxTokens: params.maxTokens ?? roomForCompletion,
    temperature: params.temperature ?? d.temperature ?? 1,
    topP: params.topP ?? d.topP ?? 1,
    topK: params.topK !== undefined && params.topK > 0 ? params.topK : (d.topK ?? 0),
    minP: params.minP ?? 0,
    presencePenalty: params.presencePenalty ?? 0,
    frequencyPenalty: params.frequencyPenalty ?? 0,
    repetitionPenalty: params.repetitionPenalty ?? d.repetitionPenalty ?? 1,
    logitBias: params.logitBias,
    stop: params.stop ?? [],
    seed: params.seed ?? randomSeed(),
    n: params.n ?? 1,
    logprobs: params.logprobs ?? false,
    topLogprobs: params.logprobs ? (params.topLogprobs ?? 0) : 0,
    logitsProcessors: params.logitsProcessors,
  };
}
