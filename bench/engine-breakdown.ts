// Where one decode step's time goes on onnxruntime-node: session.run (the model), feeds and
// async overhead, sampling (processors + argmax or softmax/top-p draw) and incremental
// detokenization. Each part is measured directly, not inferred.

import * as ort from "onnxruntime-node";
import { IncrementalDetokenizer } from "../service/src/engine/detokenizer.js";
import { createEngine, type OnnxVariant, type SessionFactory } from "../service/src/engine/index.js";
import { Xoshiro128 } from "../service/src/engine/sampling/prng.js";
import { applyLogitBias, applyTemperature, argmax } from "../service/src/engine/sampling/processors.js";
import { sampleToken } from "../service/src/engine/sampling/sampler.js";
import { nodeSessions } from "../service/src/ort/node.js";
import { readModelDir } from "../service/src/ort/node-files.js";
import { median } from "./lib/stats.js";

function timedSessions(factory: SessionFactory, runMs: number[]): SessionFactory {
  return {
    name: factory.name,
    async create(model, options) {
      const session = await factory.create(model, options);
      const run: typeof session.run = async (feeds, fetches) => {
        const start = performance.now();
        const out = await session.run(feeds, fetches);
        runMs.push(performance.now() - start);
        return out;
      };
      return { ...session, inputNames: session.inputNames, outputNames: session.outputNames, run };
    },
  };
}

function perCall(fn: () => void, calls = 2000): number {
  const start = performance.now();
  for (let i = 0; i < calls; i++) fn();
  return (performance.now() - start) / calls;
}

export async function breakdown(dir: string, variant: OnnxVariant, promptIds: number[], tokens: number) {
  const runMs: number[] = [];
  const engine = await createEngine({
    files: await readModelDir(dir, variant),
    sessions: timedSessions(nodeSessions(), runMs),
    variant,
  });
  const ban = Object.fromEntries(engine.arch.eosTokenIds.map((id) => [id, -100]));
  const generate = async () => {
    const ids: number[] = [];
    for await (const e of engine.generateFromIds(promptIds, {
      temperature: 0,
      maxTokens: tokens,
      logitBias: ban,
    })) {
      if (e.type === "delta") ids.push(...e.tokenIds);
    }
    return ids;
  };
  await generate(); // warm-up
  const reps: { step: number; run: number }[] = [];
  let ids: number[] = [];
  for (let rep = 0; rep < 7; rep++) {
    runMs.length = 0;
    const start = performance.now();
    ids = await generate();
    const total = performance.now() - start;
    // per decode step: everything after the prefill run, over the steps; run: mean decode run
    const decodeRuns = runMs.slice(1);
    reps.push({
      step: (total - (runMs[0] as number)) / (tokens - 1),
      run: decodeRuns.reduce((a, b) => a + b, 0) / decodeRuns.length,
    });
  }
  const vocab = engine.info.vocabSize;
  const logits = Float32Array.from({ length: vocab }, (_, i) => Math.sin(i * 12.9898) * 8);
  const rng = new Xoshiro128(1);
  const greedyMs = perCall(() => {
    const l = logits.slice();
    applyLogitBias(l, ban);
    argmax(l);
  });
  const topPMs = perCall(() => {
    const l = logits.slice();
    applyTemperature(l, 0.8);
    sampleToken(l, { topP: 0.9 }, rng);
  });
  const detokMs =
    perCall(() => {
      const d = new IncrementalDetokenizer((x) => engine.tokenizer.decode(x));
      for (const id of ids) d.push(id);
    }, 50) / ids.length;
  const { step, run } = reps.sort((a, b) => a.step - b.step)[3] as { step: number; run: number };
  await engine.dispose();
  return {
    runtime: "onnxruntime-node",
    decodeStep: +step.toFixed(4),
    sessionRun: +run.toFixed(4),
    samplingGreedy: +greedyMs.toFixed(4),
    samplingTopP: +topPMs.toFixed(4),
    detokenize: +detokMs.toFixed(4),
    /** decode step − session.run − greedy sampling − detokenize: feeds, output renaming, async hops */
    feedsAndAsyncOverhead: +(step - run - greedyMs - detokMs).toFixed(4),
    vocabSize: vocab,
  };
}

/**
 * Every node system's decode ms/token split into time inside onnxruntime's `InferenceSession.run`
 * (its JS wrapper, the native binding and the graph) and time outside it (the engine's own loop).
 * Petrel and transformers.js load the same onnxruntime-node module, so one wrapper on its prototype
 * times both. Medians over `reps` alternating runs of (N tokens) − (1 token).
 */
export async function sessionRunShare(
  systems: { name: string; generate(ids: number[], tokens: number): Promise<number[]> }[],
  promptIds: number[],
  tokens: number,
  reps = 7,
) {
  const proto = (
    ort.InferenceSession as unknown as { prototype: { run: (...a: unknown[]) => Promise<unknown> } }
  ).prototype;
  const original = proto.run;
  let inRun = 0;
  proto.run = async function (this: unknown, ...args: unknown[]) {
    const start = performance.now();
    try {
      return await original.apply(this, args);
    } finally {
      inRun += performance.now() - start;
    }
  };
  const samples = new Map<string, { total: number[]; run: number[] }>();
  try {
    for (let rep = 0; rep < reps; rep++) {
      for (const s of systems) {
        const timed = async (n: number) => {
          inRun = 0;
          const start = performance.now();
          await s.generate(promptIds, n);
          return { total: performance.now() - start, run: inRun };
        };
        const one = await timed(1);
        const all = await timed(tokens);
        const entry = samples.get(s.name) ?? { total: [], run: [] };
        entry.total.push((all.total - one.total) / (tokens - 1));
        entry.run.push((all.run - one.run) / (tokens - 1));
        samples.set(s.name, entry);
      }
    }
  } finally {
    proto.run = original;
  }
  return Object.fromEntries(
    [...samples].map(([name, s]) => {
      const total = median(s.total);
      const run = median(s.run);
      return [
        name,
        { msPerToken: +total.toFixed(4), inSessionRun: +run.toFixed(4), outside: +(total - run).toFixed(4) },
      ];
    }),
  );
}
