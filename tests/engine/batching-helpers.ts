// Shared by the batching suites: an engine that shares decode steps and one at batch size 1 (each
// request alone) on the same model files, and prompts of mixed lengths built from the model's own
// golden prompts.
import {
  type BatchingOptions,
  createEngine,
  type DecoderSession,
  type GenerateEvent,
  type OnnxVariant,
  type PetrelEngine,
  type SessionFactory,
} from "../../service/src/engine/index.js";
import { readModelDir } from "../../service/src/ort/node-files.js";
import { type Collected, collectEvents, modelDir, readGolden } from "./helpers.js";

export async function enginePair(
  model: string,
  sessions: SessionFactory,
  batching: BatchingOptions,
  variant: OnnxVariant = "fp32",
): Promise<{ plain: PetrelEngine; batched: PetrelEngine }> {
  const files = await readModelDir(modelDir(model), variant);
  const plain = await createEngine({ id: model, files, sessions, variant, batching: { maxBatchSize: 1 } });
  const batched = await createEngine({ id: model, files, sessions, variant, batching });
  return { plain, batched };
}

/** Golden prompts plus longer ones stitched from them: 1 to ~150 tokens. */
export function mixedPrompts(model: string, count: number): number[][] {
  const golden = readGolden(model).cases.map((c) => c.input_ids);
  const all = golden.flat();
  const prompts: number[][] = [];
  for (let i = 0; i < count; i++) {
    const length = [1, 3, 9, 17, 33, 47, 70, 101, 150][i % 9] as number;
    const start = (i * 37) % Math.max(1, all.length - length);
    prompts.push(all.slice(start, start + length));
  }
  return prompts;
}

/** Pulls a stream to the end; `onDelta` sees the number of deltas so far (to start or abort others). */
export async function drain(
  stream: AsyncIterable<GenerateEvent>,
  onDelta?: (deltas: number) => void,
): Promise<Collected> {
  const events: GenerateEvent[] = [];
  let deltas = 0;
  for await (const event of stream) {
    events.push(event);
    if (event.type === "delta") onDelta?.(++deltas);
  }
  return collectEvents(events);
}

/** A real flavour whose sessions route every run through `run` (which calls `session.run` itself). */
export function interceptRuns(
  inner: SessionFactory,
  name: string,
  run: (
    session: DecoderSession,
    ...args: Parameters<DecoderSession["run"]>
  ) => ReturnType<DecoderSession["run"]>,
): SessionFactory {
  return {
    name,
    async create(model, options) {
      const session = await inner.create(model, options);
      return {
        ...session,
        inputNames: session.inputNames,
        outputNames: session.outputNames,
        inputMetadata: session.inputMetadata,
        run: (feeds, fetches) => run(session, feeds, fetches),
      };
    },
  };
}

/**
 * Delegates to a real flavour and records each run's (batch, seq) — proof that rows shared a run —
 * and the output names it fetched.
 */
export function recordingSessions(
  inner: SessionFactory,
): SessionFactory & { shapes: [number, number][]; fetched: (readonly string[] | undefined)[] } {
  const shapes: [number, number][] = [];
  const fetched: (readonly string[] | undefined)[] = [];
  const factory = interceptRuns(inner, `${inner.name}+recording`, (session, feeds, fetches) => {
    const dims = feeds.input_ids?.dims ?? [];
    shapes.push([dims[0] as number, dims[1] as number]);
    fetched.push(fetches);
    return session.run(feeds, fetches);
  });
  return { ...factory, shapes, fetched };
}
