// The engine's public surface: gateway and entries import only from here.

export type { BatchingOptions } from "./batching/scheduler.js";
export type { EngineOptions, PetrelEngine } from "./engine.js";
export { createEngine } from "./engine.js";
export type {
  CompiledGrammar,
  GrammarCompiler,
  GrammarFactory,
  GrammarSpec,
  GrammarVocabulary,
  JsonSchema,
  TokenMatcher,
  ToolGrammar,
} from "./grammar/types.js";
export { GrammarError, grammarParam } from "./grammar/types.js";
export type { ModelArch } from "./model-arch.js";
export type { FileContent, ModelFiles, OnnxVariant } from "./model-files.js";
export { ModelFileError, onnxPath } from "./model-files.js";
export type { LogitsProcessor, LogitsProcessorFactory } from "./sampling/logits-processor.js";
export type {
  DecoderSession,
  InputMeta,
  SessionCreateOptions,
  SessionFactory,
  SessionTensor,
} from "./session.js";
export { HERMES_MARKUP, readToolCallFormat } from "./tool-call-format.js";
export type { ToolCallEvent, ToolCallFormat, ToolCallSummary } from "./tool-call-parser.js";
export { ToolCallParser } from "./tool-call-parser.js";
export * from "./types.js";
