// Petrel over llama.cpp in the engine bench's results, decode tok/s (a ratio > 1: Petrel decodes
// faster): one thread each in the main table; at each thread count of the sweep; and each at the
// setting it did best at (main table and sweep together, so the choice of threads is taken out).
import { round } from "./stats.js";

type Results = Record<string, { decodeTokPerS: number }>;
type SweepRow = { system: string; threads: number; decodeTokPerS: number };

const PETREL_ONE = "petrel+onnxruntime-node";

function best(rows: { name: string; tokS: number }[]) {
  return rows.reduce((a, b) => (b.tokS > a.tokS ? b : a), rows[0] ?? { name: "", tokS: Number.NaN });
}

export function llamaCppRatios(results: Results, sweep: SweepRow[] = []) {
  const llama = Object.keys(results).filter((n) => n.startsWith("llama.cpp"));
  if (llama.length === 0) return undefined;
  const tokS = (name?: string) => (name ? results[name]?.decodeTokPerS : undefined) ?? Number.NaN;
  const oneThread = llama.find((n) => n.includes("(1-thread"));
  const main = Object.keys(results).map((name) => ({ name, tokS: tokS(name) }));
  const swept = sweep.map((r) => ({
    name: `${r.system} at ${r.threads} thread(s), sweep`,
    tokS: r.decodeTokPerS,
  }));
  const all = [...main, ...swept];
  const petrel = best(
    all.filter((r) => r.name.startsWith(PETREL_ONE) && !r.name.includes("transformers.js")),
  );
  const yard = best(all.filter((r) => r.name.startsWith("llama.cpp")));
  const threads = [...new Set(sweep.map((r) => r.threads))];
  const at = (system: string, n: number) =>
    sweep.find((r) => r.system.startsWith(system) && r.threads === n)?.decodeTokPerS ?? Number.NaN;
  return {
    decodeOneThread: round(tokS(PETREL_ONE) / tokS(oneThread)),
    sweepByThreads: Object.fromEntries(
      threads.map((n) => [`${n}`, round(at("petrel", n) / at("llama.cpp", n))]),
    ),
    decodeBestVsBest: { ratio: round(petrel.tokS / yard.tokS), petrel: petrel.name, llamaCpp: yard.name },
  };
}
