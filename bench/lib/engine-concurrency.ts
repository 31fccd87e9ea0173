// The concurrency bench's in-process rows: the engines alone (no HTTP), N greedy sequences at once.
// Petrel's batching engine as the backend server runs it by default (fp32 new-KV graph,
// iteration-level batching, 8 rows) against llama.cpp decoding N sequences in one context (F32 and
// Q8_0), at equal thread counts. Aggregate tok/s = every sequence's tokens over the round's wall time;
// systems and levels rotate within each repetition; medians over repetitions.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { createEngine } from "../../service/src/engine/index.js";
import { nodeSessions } from "../../service/src/ort/node.js";
import { readModelDir } from "../../service/src/ort/node-files.js";
import { petrelVariant } from "../engine-systems.js";
import { hasGguf, llamaCppSystem } from "./llama-cpp.js";
import { root } from "./procs.js";
import { median, rotate, round } from "./stats.js";

interface Many {
  name: string;
  generateMany(prompts: number[][], tokens: number): Promise<number[][]>;
  dispose(): Promise<void>;
}

async function petrelBatching(dir: string, threads: number): Promise<Many> {
  const variant = petrelVariant(dir, "fp32");
  const engine = await createEngine({
    files: await readModelDir(dir, variant),
    sessions: nodeSessions({ intraOpNumThreads: threads }),
    variant,
    batching: {},
  });
  // every sequence decodes exactly `tokens` tokens: the stop ids banned, as the HTTP rounds do
  const logitBias = Object.fromEntries([0, 2, ...engine.arch.eosTokenIds].map((id) => [id, -100]));
  async function one(ids: number[], tokens: number): Promise<number[]> {
    const out: number[] = [];
    const stream = engine.generateFromIds(ids, { temperature: 0, maxTokens: tokens, logitBias });
    for await (const event of stream) if (event.type === "delta") out.push(...event.tokenIds);
    return out;
  }
  return {
    name: `petrel batching engine ${variant} (${threads}-thread${threads > 1 ? "s" : ""})`,
    generateMany: (prompts, tokens) => Promise.all(prompts.map((p) => one(p, tokens))),
    dispose: () => engine.dispose(),
  };
}

export interface EngineRound {
  rep: number;
  tokens: number;
  wallMs: number;
  aggregateTokS: number;
}

/** Rows per system and level, and Petrel's aggregate over each llama.cpp system's at every level. */
export async function inProcessEngines(opts: {
  model: string;
  levels: number[];
  tokens: number;
  reps: number;
  threads: number;
}) {
  const dir = resolve(root, opts.model);
  const golden = JSON.parse(readFileSync(`${dir}/golden.json`, "utf8")) as {
    cases: { input_ids: number[] }[];
  };
  const prompts = golden.cases.map((c) => c.input_ids);
  const most = Math.max(...opts.levels);
  const systems: Many[] = [await petrelBatching(dir, opts.threads)];
  for (const kind of ["f32", "q8_0"] as const)
    if (hasGguf(dir, kind)) systems.push(await llamaCppSystem(dir, kind, opts.threads, most));
  const rounds = new Map(
    systems.map((s) => [s.name, new Map(opts.levels.map((l) => [l, [] as EngineRound[]]))]),
  );
  const batch = (level: number) =>
    Array.from({ length: level }, (_, i) => prompts[i % prompts.length] ?? [1]);
  for (const s of systems) await s.generateMany(batch(most), 8); // warm-up
  for (let rep = 0; rep < opts.reps; rep++)
    for (const level of rotate(opts.levels, rep))
      for (const s of rotate(systems, rep)) {
        const start = performance.now();
        const out = await s.generateMany(batch(level), opts.tokens);
        const wallMs = performance.now() - start;
        const tokens = out.reduce((n, ids) => n + ids.length, 0);
        const round_ = {
          rep,
          tokens,
          wallMs: round(wallMs),
          aggregateTokS: round((tokens / wallMs) * 1000, 1),
        };
        rounds.get(s.name)?.get(level)?.push(round_);
      }
  for (const s of systems) await s.dispose();
  const aggregate = (name: string, level: number) =>
    median(
      rounds
        .get(name)
        ?.get(level)
        ?.map((r) => r.aggregateTokS) ?? [],
    );
  const petrel = systems[0]?.name as string;
  return {
    model: opts.model,
    threads: opts.threads,
    tokensPerSequence: opts.tokens,
    rows: systems.flatMap((s) =>
      opts.levels.map((level) => ({
        system: s.name,
        sequences: level,
        aggregate_tok_s: round(aggregate(s.name, level), 1),
        runs: rounds.get(s.name)?.get(level) ?? [],
      })),
    ),
    petrelOverLlamaCpp: systems.slice(1).flatMap((s) =>
      opts.levels.map((level) => ({
        llamaCpp: s.name,
        sequences: level,
        ratio: round(aggregate(petrel, level) / aggregate(s.name, level)),
      })),
    ),
  };
}
