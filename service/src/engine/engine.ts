// createEngine: a model directory (as a file map) plus an onnxruntime flavour's session factory
// becomes an Engine. Tokenizing and validation happen eagerly in generate(); the run itself joins
// the engine's one batch scheduler (batching/scheduler.ts), which decodes every admitted request
// in shared steps. One request at a time is the setting `batching: { maxBatchSize: 1 }`.
import { BatchRunner } from "./batching/batch-runner.js";
import { type BatchingOptions, BatchScheduler } from "./batching/scheduler.js";
import type { ChoiceDeps } from "./choice.js";
import { ByteStreamDetokenizer } from "./detokenizer.js";
import { boundSpec, boundsForContext, type GrammarBounds } from "./grammar/bounds.js";
import { GrammarCache } from "./grammar/cache.js";
import { constrained } from "./grammar/constrained.js";
import { type GrammarFactory, grammarParam } from "./grammar/types.js";
import { grammarVocabulary } from "./grammar/vocabulary.js";
import { type ModelArch, parseModelArch } from "./model-arch.js";
import { type ModelFiles, type OnnxVariant, onnxPath, readBytes, requireJson } from "./model-files.js";
import { resolveParams } from "./params.js";
import type { DecoderSession, SessionFactory } from "./session.js";
import { makeTokenBytes } from "./token-bytes.js";
import { ModelTokenizer } from "./tokenizer.js";
import { readToolCallFormat } from "./tool-call-format.js";
import {
  ContextLengthExceededError,
  type Engine,
  type GenerateEvent,
  type GenerateParams,
  InvalidParamError,
  type ModelInfo,
} from "./types.js";

export interface EngineOptions {
  /** Model id reported in ModelInfo; defaults to "petrel". */
  id?: string;
  files: ModelFiles;
  sessions: SessionFactory;
  /** Which onnx/ file to load; default int8 (`model_quantized.onnx`). */
  variant?: OnnxVariant;
  /** Rows per decode step, KV budget, prefill chunk (batching/README.md); default 8 rows. */
  batching?: BatchingOptions;
  /** Grammar runtime for constrained decoding (service/src/grammar/); without it `grammar` params are refused. */
  grammar?: GrammarFactory;
  /** Compiled grammars kept, least recently used out; default 32. */
  grammarCacheSize?: number;
  /** String and array bounds added to schemas so outputs end within the context (grammar/bounds.ts). */
  grammarBounds?: GrammarBounds;
}

/** The Engine plus a token-level entry point (golden tests, benchmarks, completions). */
export interface PetrelEngine extends Engine {
  readonly arch: ModelArch;
  readonly tokenizer: ModelTokenizer;
  generateFromIds(
    promptIds: number[],
    params: Omit<GenerateParams, "messages">,
    signal?: AbortSignal,
  ): AsyncIterable<GenerateEvent>;
}

export async function createEngine(options: EngineOptions): Promise<PetrelEngine> {
  const { files } = options;
  const arch = parseModelArch(files);
  const tokenizer = new ModelTokenizer(files);
  const tokenEos = tokenizer.eosTokenId();
  const eosIds = new Set(arch.eosTokenIds);
  if (tokenEos !== undefined) eosIds.add(tokenEos);
  const session = await options.sessions.create(readBytes(files, onnxPath(options.variant ?? "int8")));
  fillShapeFromSession(arch, session);
  const bytesOf = makeTokenBytes(
    requireJson(files, "tokenizer.json"),
    (id) => tokenizer.idToToken(id),
    (id) => tokenizer.decode([id]),
  );
  const pieces = tokenizer.pieces;
  const deps: ChoiceDeps = {
    decode: (ids) => tokenizer.decode(ids),
    detokenizer: pieces && (() => new ByteStreamDetokenizer(pieces)),
    describe: { text: (id) => tokenizer.decode([id]), bytes: bytesOf },
    eosIds,
  };
  const scheduler = new BatchScheduler(
    new BatchRunner(session, arch),
    deps,
    arch.contextLength,
    options.batching,
  );
  const grammars = grammarCacheFor(options, arch.vocabSize, files, [...eosIds]);
  const bounds = options.grammarBounds ?? boundsForContext(arch.contextLength);
  const info: ModelInfo = {
    id: options.id ?? "petrel",
    contextLength: arch.contextLength,
    vocabSize: arch.vocabSize,
    toolCallFormat: readToolCallFormat(files),
  };

  const generateFromIds = (
    promptIds: number[],
    params: Omit<GenerateParams, "messages">,
    signal?: AbortSignal,
  ): AsyncIterable<GenerateEvent> => {
    const room = arch.contextLength - promptIds.length;
    if (room < 1 || (params.maxTokens !== undefined && params.maxTokens > room)) {
      throw new ContextLengthExceededError(promptIds.length, params.maxTokens ?? 1, arch.contextLength);
    }
    const resolved = resolveParams(params, arch, room);
    const spec = params.grammar;
    if (!spec) return scheduler.generate(promptIds, resolved, signal);
    if (!grammars) {
      throw new InvalidParamError(
        `${grammarParam(spec)} needs constrained decoding, which this engine lacks`,
        grammarParam(spec),
      );
    }
    return constrained(
      grammars,
      boundSpec(spec, bounds),
      resolved.n,
      resolved.logitsProcessors,
      (logitsProcessors) => scheduler.generate(promptIds, { ...resolved, logitsProcessors }, signal),
    );
  };

  return {
    info,
    arch,
    tokenizer,
    generateFromIds,
    generate: (params, signal) =>
      generateFromIds(tokenizer.encodeChat(params.messages, params.tools), params, signal),
    load: () => scheduler.load(),
    dispose: () => session.release(),
  };
}

/** The engine's compiled-grammar cache; the runtime loads its vocabulary on the first grammar. */
function grammarCacheFor(
  options: EngineOptions,
  vocabSize: number,
  files: ModelFiles,
  stopIds: number[],
): GrammarCache | undefined {
  const factory = options.grammar;
  if (!factory) return undefined;
  let compiler: ReturnType<GrammarFactory["create"]> | undefined;
  const load = () => {
    compiler ??= factory.create(grammarVocabulary(requireJson(files, "tokenizer.json"), vocabSize, stopIds));
    compiler.catch(() => {
      compiler = undefined;
    });
    return compiler;
  };
  return new GrammarCache(load, options.grammarCacheSize);
}

/** Exports that omit kv heads / head_dim from arch.json still carry them as static input dims. */
function fillShapeFromSession(arch: ModelArch, session: DecoderSession): void {
  const meta = session.inputMetadata?.find((m) => m.name.startsWith("past_key_values."));
  const [, heads, , headDim] = meta?.shape ?? [];
  if (typeof heads === "number" && heads > 0) arch.numKvHeads = heads;
  if (typeof headDim === "number" && headDim > 0) arch.headDim = headDim;
}
