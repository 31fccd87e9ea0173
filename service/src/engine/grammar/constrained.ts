// Runs a generation under a grammar: the spec's compiled grammar (from the engine's cache), one
// matcher per choice as that choice's logits processor, and every matcher disposed however the
// stream ends (finished, broken off, aborted, failed). The compilation happens on the first pull, so
// a GrammarError reaches the caller before any event, as the HTTP layer needs for a 400.
import type { LogitsProcessor, LogitsProcessorFactory } from "../sampling/logits-processor.js";
import type { GenerateEvent } from "../types.js";
import type { GrammarCache } from "./cache.js";
import { GrammarConstraint } from "./constraint.js";
import type { GrammarSpec } from "./types.js";

export async function* constrained(
  cache: GrammarCache,
  spec: GrammarSpec,
  choices: number,
  others: LogitsProcessorFactory | undefined,
  run: (processors: LogitsProcessorFactory) => AsyncIterable<GenerateEvent>,
): AsyncGenerator<GenerateEvent> {
  const compiled = await cache.get(spec);
  const made = await Promise.allSettled(Array.from({ length: choices }, () => compiled.createMatcher()));
  const constraints = made.flatMap((m) => (m.status === "fulfilled" ? [new GrammarConstraint(m.value)] : []));
  try {
    const failed = made.find((m) => m.status === "rejected");
    if (failed) throw failed.reason;
    const processors = (index: number): LogitsProcessor[] => [
      constraints[index] as GrammarConstraint,
      ...(others?.(index) ?? []),
    ];
    yield* run(processors);
  } finally {
    for (const constraint of constraints) constraint.dispose();
  }
}
