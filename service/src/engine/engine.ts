// createEngine: a model directory (as a file map) plus an onnxruntime flavour's session factory
// becomes an Engine. Tokenizing and validation happen eagerly in generate(); the run itself waits
// its turn in a FIFO queue, so one engine never interleaves two requests on its session.
import { BatchRunner } from "./batching/batch-runner.js";
import { type BatchingOptions, BatchScheduler } from "./batching/scheduler.js";
import type { ChoiceDeps } from "./choice.js";
import { Decoder } from "./decoder.js";
import { FifoQueue } from "./fifo-queue.js";
import { runGeneration } from "./generation.js";
import { type ModelConfig, parseModelConfig } from "./model-config.js";
import { type ModelFiles, type OnnxVariant, onnxPath, readBytes, requireJson } from "./model-files.js";
import { resolveParams } from "./params.js";
import type { DecoderSession, SessionFactory } from "./session.js";
import { makeTokenBytes } from "./token-bytes.js";
import { ModelTokenizer } from "./tokenizer.js";
import {
  ContextLengthExceededError,
  type Engine,
  type GenerateEvent,
  type GenerateParams,
  type ModelInfo,
} from "./types.js";

export interface EngineOptions {
  /** Model id reported in ModelInfo; defaults to "petrel". */
  id?: string;
  files: ModelFiles;
  sessions: SessionFactory;
  /** Which onnx/ file to load; default int8 (`model_quantized.onnx`). */
  variant?: OnnxVariant;
  /** Iteration-level batching: concurrent requests share decode steps (batching/README.md). */
  batching?: BatchingOptions;
}

/** The Engine plus a token-level entry point (golden tests, benchmarks, completions). */
export interface PetrelEngine extends Engine {
  readonly config: ModelConfig;
  readonly tokenizer: ModelTokenizer;
  generateFromIds(
    promptIds: number[],
    params: Omit<GenerateParams, "messages">,
    signal?: AbortSignal,
  ): AsyncIterable<GenerateEvent>;
}

export async function createEngine(options: EngineOptions): Promise<PetrelEngine> {
  const { files } = options;
  const config = parseModelConfig(files);
  const tokenizer = new ModelTokenizer(files);
  const tokenEos = tokenizer.eosTokenId();
  const eosIds = new Set(config.eosTokenIds);
  if (tokenEos !== undefined) eosIds.add(tokenEos);
  const session = await options.sessions.create(readBytes(files, onnxPath(options.variant ?? "int8")), {
    freeDimensionOverrides: options.batching ? undefined : { batch_size: 1 },
  });
  fillShapeFromSession(config, session);
  const bytesOf = makeTokenBytes(
    requireJson(files, "tokenizer.json"),
    (id) => tokenizer.idToToken(id),
    (id) => tokenizer.decode([id]),
  );
  const deps: ChoiceDeps = {
    decode: (ids) => tokenizer.decode(ids),
    describe: { text: (id) => tokenizer.decode([id]), bytes: bytesOf },
    eosIds,
  };
  const decoder = new Decoder(session, config);
  const queue = new FifoQueue(1);
  const batch = options.batching
    ? new BatchScheduler(new BatchRunner(session, config), deps, config.contextLength, options.batching)
    : undefined;
  const info: ModelInfo = {
    id: options.id ?? "petrel",
    contextLength: config.contextLength,
    vocabSize: config.vocabSize,
  };

  const generateFromIds = (
    promptIds: number[],
    params: Omit<GenerateParams, "messages">,
    signal?: AbortSignal,
  ): AsyncIterable<GenerateEvent> => {
    const room = config.contextLength - promptIds.length;
    if (room < 1 || (params.maxTokens !== undefined && params.maxTokens > room)) {
      throw new ContextLengthExceededError(promptIds.length, params.maxTokens ?? 1, config.contextLength);
    }
    const resolved = resolveParams(params, config, room);
    if (batch) return batch.generate(promptIds, resolved, signal);
    return queued(queue, signal, () =>
      runGeneration(decoder, promptIds, resolved, deps, config.contextLength, signal),
    );
  };

  return {
    info,
    config,
    tokenizer,
    generateFromIds,
    generate: (params, signal) => generateFromIds(tokenizer.encodeChat(params.messages), params, signal),
    load: () => batch?.load() ?? { queued: queue.queued, active: queue.active, capacity: queue.capacity },
    dispose: () => session.release(),
  };
}

/** Waits for the queue on first pull; the slot is released when the stream ends or is abandoned. */
async function* queued(
  queue: FifoQueue,
  signal: AbortSignal | undefined,
  start: () => AsyncGenerator<GenerateEvent>,
): AsyncGenerator<GenerateEvent> {
  const release = await queue.acquire(signal);
  try {
    yield* start();
  } finally {
    release();
  }
}

/** Exports that omit kv heads / head_dim from config.json still carry them as static input dims. */
function fillShapeFromSession(config: ModelConfig, session: DecoderSession): void {
  const meta = session.inputMetadata?.find((m) => m.name.startsWith("past_key_values."));
  const [, heads, , headDim] = meta?.shape ?? [];
  if (typeof heads === "number" && heads > 0) config.numKvHeads = heads;
  if (typeof headDim === "number" && headDim > 0) config.headDim = headDim;
}
