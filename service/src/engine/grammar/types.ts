// The engine's side of constrained decoding: what a grammar runtime must provide (service/src/grammar/
// implements it with XGrammar), so the engine itself never loads a wasm grammar engine. A spec is
// compiled once per model vocabulary (and cached); each constrained choice gets its own matcher, which
// yields the allowed next tokens as a bitmask and follows the tokens the choice accepts.
import { InvalidParamError } from "../types.js";

/** A JSON Schema, as JSON (an object, or `true`/`false`). */
export type JsonSchema = Record<string, unknown> | boolean;

/** One callable tool: its name and the JSON Schema of its arguments. */
export interface ToolGrammar {
  name: string;
  parameters: JsonSchema;
}

/**
 * What a generation's output must match.
 * - `json_schema`: one JSON value valid against `schema` (response_format json_schema).
 * - `json_object`: any JSON object (response_format json_object).
 * - `tool_calls`: one call (or, with `parallel`, one or more) of the listed tools in the model's
 *   markup, each `begin{"name": "<tool>", "arguments": <valid arguments>}end` (tool_choice
 *   "required", or a named function with one tool listed). With `trigger` (tool_choice "auto") the
 *   calls are optional: free text, in which `trigger` (a prefix of `begin`) can only start a call.
 */
export type GrammarSpec =
  | { kind: "json_schema"; schema: JsonSchema }
  | { kind: "json_object" }
  | {
      kind: "tool_calls";
      tools: ToolGrammar[];
      parallel: boolean;
      begin: string;
      end: string;
      trigger?: string;
      /** At most this many calls (the engine's bounds set it; unset = no limit). */
      maxCalls?: number;
    };

/** How the tokenizer spells its vocabulary, as a grammar runtime needs to read it. */
export interface GrammarVocabulary {
  /** Token strings as the vocabulary file spells them, by id; "" for special tokens and unused ids. */
  tokens: string[];
  /** byte_level: GPT-2 byte-to-unicode spelling; byte_fallback: SentencePiece with <0xNN>; raw: text. */
  encoding: "byte_level" | "byte_fallback" | "raw";
  /** SentencePiece tokenizers that prepend a space (▁) to the text. */
  prependSpace: boolean;
  /** Ids that end a generation; a matcher allows them once the grammar is complete. */
  stopIds: number[];
}

/** A per-choice matcher; `dispose` frees runtime memory (wasm), so it must be called. */
export interface TokenMatcher {
  /** Allowed next tokens: bit (id & 31) of word (id >> 5) is set when id is allowed. */
  nextTokenBitmask(): Promise<Int32Array>;
  /** Advances past `id`; false when the grammar does not allow it (the state is then unchanged). */
  acceptToken(id: number): boolean;
  dispose(): void;
}

export interface CompiledGrammar {
  createMatcher(): Promise<TokenMatcher>;
  /** Frees the compiled grammar; matchers already made from it stay valid. */
  dispose(): void;
}

export interface GrammarCompiler {
  /** Throws GrammarError for a spec the runtime cannot compile. */
  compile(spec: GrammarSpec): Promise<CompiledGrammar>;
}

/** Creates a compiler for one model's vocabulary; one per grammar runtime (like SessionFactory). */
export interface GrammarFactory {
  readonly name: string;
  create(vocabulary: GrammarVocabulary): Promise<GrammarCompiler>;
}

/** The wire parameter a spec comes from, for errors. */
export function grammarParam(spec: GrammarSpec): string {
  return spec.kind === "tool_calls" ? "tools" : "response_format";
}

/**
 * A spec the grammar runtime refused (unsupported or invalid schema): a 400 naming the param. It keeps
 * InvalidParamError's name, which is what the HTTP layer maps.
 */
export class GrammarError extends InvalidParamError {}
