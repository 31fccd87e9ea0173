// Compiled grammars by spec text, least recently used first out. Compiling is the expensive part of
// constrained decoding (tens to hundreds of ms for a schema on petrel-mini's 4,096 tokens), and
// clients send the same schema again and again; the bound keeps the runtime's memory in check.
// Concurrent requests for one spec share one compilation; a failed one is not kept.
import type { CompiledGrammar, GrammarCompiler, GrammarSpec } from "./types.js";

export const defaultGrammarCacheSize = 32;

export class GrammarCache {
  private readonly entries = new Map<string, Promise<CompiledGrammar>>();
  /** Compilations started, for tests and metrics: a hit starts none. */
  compilations = 0;

  constructor(
    private readonly compiler: () => Promise<GrammarCompiler>,
    private readonly capacity = defaultGrammarCacheSize,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get(spec: GrammarSpec): Promise<CompiledGrammar> {
    const key = JSON.stringify(spec);
    const hit = this.entries.get(key);
    if (hit) {
      // re-insert: Map order is the recency order
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    this.compilations++;
    const compiled = this.compiler().then((c) => c.compile(spec));
    this.entries.set(key, compiled);
    // evict once it compiled: a refused spec must not push a good grammar out
    compiled.then(
      () => this.evict(),
      () => {
        if (this.entries.get(key) === compiled) this.entries.delete(key);
      },
    );
    return compiled;
  }

  private evict(): void {
    while (this.entries.size > this.capacity) {
      const [key, oldest] = this.entries.entries().next().value as [string, Promise<CompiledGrammar>];
      this.entries.delete(key);
      // matchers made from it stay valid (CompiledGrammar.dispose's contract)
      oldest.then(
        (grammar) => grammar.dispose(),
        () => {},
      );
    }
  }
}
