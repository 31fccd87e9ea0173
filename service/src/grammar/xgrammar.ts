// The engine's grammar interface implemented with XGrammar's WebAssembly build (@mlc-ai/web-xgrammar,
// turned into service/src/grammar/generated/ by scripts/build-xgrammar.mjs). Each flavour (node.ts,
// web.ts, workerd.ts) only says where the compiled wasm module comes from; the Emscripten glue gets it
// through its instantiateWasm hook, so nothing here compiles WebAssembly from bytes.
//
// XGrammar reports a schema it cannot convert by aborting the wasm program (C++ FATAL → abort()): the
// abort unwinds without restoring the wasm stack, and tens of them corrupt the instance's memory
// (measured: "memory access out of bounds" after ~40). So an instance that aborted is retired: the
// next compile starts a fresh one (~0.3 s for petrel-mini's vocabulary), matchers already running
// finish on the old one, and the abort's message becomes a GrammarError (HTTP 400).

import type {
  CompiledGrammar as XCompiled,
  GrammarCompiler as XCompiler,
  GrammarMatcher as XMatcher,
} from "@mlc-ai/web-xgrammar";
import {
  type CompiledGrammar,
  type GrammarCompiler,
  GrammarError,
  type GrammarFactory,
  type GrammarSpec,
  type GrammarVocabulary,
  grammarParam,
  type TokenMatcher,
} from "../engine/index.js";
import { loadXGrammar, type XGrammarModule } from "./generated/xgrammar.js";
import { unsupportedSchemaPart } from "./schema-support.js";
import { structuralTagFor } from "./tool-calls.js";

/** One Emscripten instance of XGrammar with the model's vocabulary loaded. */
class Instance {
  retired = false;
  private log: string[] = [];

  private constructor(
    readonly xg: XGrammarModule,
    private readonly compiler: XCompiler,
  ) {}

  static async create(wasm: WebAssembly.Module, vocab: GrammarVocabulary): Promise<Instance> {
    const log: string[] = [];
    const xg = loadXGrammar({
      // synchronous, so a failure reaches the glue as a thrown error (an async one would leave it waiting)
      instantiateWasm(imports, receiveInstance) {
        const instance = new WebAssembly.Instance(wasm, imports);
        receiveInstance(instance, wasm);
        return instance.exports;
      },
      print: (text) => log.push(text),
      printErr: (text) => log.push(text),
    });
    const info = await xg.TokenizerInfo.createTokenizerInfo(
      vocab.tokens,
      vocab.encoding,
      vocab.prependSpace,
      vocab.tokens.length,
      vocab.stopIds,
    );
    // XGrammar's own cache is unbounded; the engine keeps a bounded one (engine/grammar/cache.ts)
    const compiler = await xg.GrammarCompiler.createGrammarCompiler(info, false);
    info.dispose();
    const created = new Instance(xg, compiler);
    created.log = log;
    return created;
  }

  /** Compiles on this instance; XGrammar's complaints (abort or warning) become a GrammarError. */
  async compile(spec: GrammarSpec): Promise<XCompiled> {
    this.log.length = 0;
    let compiled: XCompiled;
    try {
      compiled = await this.run(spec);
    } catch (error) {
      this.retireOn(error);
      throw new GrammarError(
        `Invalid schema for ${grammarParam(spec)}: ${this.complaint(error)}`,
        grammarParam(spec),
      );
    }
    const warning = this.log.find((line) => line.startsWith("[WARNING]"));
    if (warning) {
      compiled.dispose();
      throw new GrammarError(
        `Unsupported schema for ${grammarParam(spec)}: ${clean(warning)}`,
        grammarParam(spec),
      );
    }
    return compiled;
  }

  /** A wasm trap (abort, out of bounds) leaves the instance unusable; JS errors do not. */
  retireOn(error: unknown): void {
    if (error instanceof WebAssembly.RuntimeError) this.retired = true;
  }

  private run(spec: GrammarSpec): Promise<XCompiled> {
    // one line, compact separators (", " and ": "), no free whitespace: a small model cannot pad forever
    if (spec.kind === "json_object") {
      return this.compiler.compileJSONSchema('{"type": "object"}', false, -1, undefined, false);
    }
    if (spec.kind === "json_schema") {
      return this.compiler.compileJSONSchema(JSON.stringify(spec.schema), false, -1, undefined, true);
    }
    return this.compileToolCalls(spec);
  }

  private async compileToolCalls(spec: Extract<GrammarSpec, { kind: "tool_calls" }>): Promise<XCompiled> {
    const argumentGrammars: string[] = [];
    for (const tool of spec.tools) {
      const grammar = await this.xg.Grammar.fromJSONSchema(
        JSON.stringify(tool.parameters),
        false,
        -1,
        undefined,
        true,
      );
      argumentGrammars.push(grammar.toString());
      grammar.dispose();
    }
    return this.compiler.compileStructuralTag(structuralTagFor(spec, argumentGrammars));
  }

  private complaint(error: unknown): string {
    const fatal = this.log.find((line) => line.startsWith("[FATAL]"));
    return fatal ? clean(fatal) : error instanceof Error ? error.message : String(error);
  }
}

/** Drops XGrammar's source location and assertion text: "[FATAL] /path/x.cc:12: Check failed: (…) is false: msg" → "msg". */
function clean(line: string): string {
  return line
    .replace(/^\[(FATAL|WARNING)\]\s+\S+:\d+:\s*/, "")
    .replace(/^Check failed: \(.*?\) is false:\s*/, "")
    .trim();
}

function checkSpec(spec: GrammarSpec): void {
  const schemas =
    spec.kind === "json_schema"
      ? [spec.schema]
      : spec.kind === "tool_calls"
        ? spec.tools.map((t) => t.parameters)
        : [];
  for (const schema of schemas) {
    const problem = unsupportedSchemaPart(schema);
    if (problem)
      throw new GrammarError(`Unsupported schema for ${grammarParam(spec)}: ${problem}`, grammarParam(spec));
  }
  if (spec.kind === "tool_calls" && spec.tools.length === 0) {
    throw new GrammarError("tool_calls needs at least one tool", "tools");
  }
}

class XGrammarCompiler implements GrammarCompiler {
  private current: Promise<Instance> | undefined;

  constructor(
    private readonly wasm: WebAssembly.Module,
    private readonly vocab: GrammarVocabulary,
  ) {}

  /** The live instance; a retired or failed one is replaced on the next call. */
  async live(): Promise<Instance> {
    const current = await this.current?.catch(() => undefined);
    if (current && !current.retired) return current;
    const next = Instance.create(this.wasm, this.vocab);
    this.current = next;
    return next;
  }

  async compile(spec: GrammarSpec): Promise<CompiledGrammar> {
    checkSpec(spec);
    const instance = await this.live();
    return new XCompiledGrammar(this, spec, instance, await instance.compile(spec));
  }
}

class XCompiledGrammar implements CompiledGrammar {
  constructor(
    private readonly owner: XGrammarCompiler,
    private readonly spec: GrammarSpec,
    private instance: Instance,
    private compiled: XCompiled,
  ) {}

  async createMatcher(): Promise<TokenMatcher> {
    if (this.instance.retired) {
      // compiled on an instance that has since aborted: compile again on the live one
      const live = await this.owner.live();
      this.compiled = await live.compile(this.spec);
      this.instance = live;
    }
    const instance = this.instance;
    return wrapMatcher(await instance.xg.GrammarMatcher.createGrammarMatcher(this.compiled), instance);
  }

  dispose(): void {
    if (!this.instance.retired) this.compiled.dispose();
  }
}

function wrapMatcher(matcher: XMatcher, instance: Instance): TokenMatcher {
  let disposed = false;
  const guarded = <T>(call: () => T): T => {
    try {
      return call();
    } catch (error) {
      instance.retireOn(error);
      throw error;
    }
  };
  return {
    nextTokenBitmask: async () => {
      try {
        return await matcher.getNextTokenBitmask();
      } catch (error) {
        instance.retireOn(error);
        throw error;
      }
    },
    acceptToken: (id) => guarded(() => matcher.acceptToken(id)),
    dispose: () => {
      if (disposed || instance.retired) return;
      disposed = true;
      matcher.dispose();
    },
  };
}

/** A GrammarFactory over XGrammar; `wasm` supplies the compiled module (read once, on first use). */
export function xgrammarFactory(name: string, wasm: () => Promise<WebAssembly.Module>): GrammarFactory {
  return {
    name,
    async create(vocabulary) {
      return new XGrammarCompiler(await wasm(), vocabulary);
    },
  };
}
