// Time per token with a grammar mask active vs unconstrained, for the shipped model (petrel-mini) in
// the backend server's configuration (onnxruntime-node, fp32 own-cache file, batching engine), or
// `--sessions web` for onnxruntime-web (the Worker's runtime) with the Worker's int8 file. Each
// repetition runs both, in alternating order, same prompt and seed, one stream at a time, and both
// decode as many tokens as the constrained run needs for its JSON: the machine is shared, so only
// side-by-side pairs compare. Per run, ms/token is measured from the first
// token to the finish (decode steps only: prefill and the grammar's compilation, cached after the
// warm-up, are outside it). Prints JSON and writes bench/results/constrained[-web].json.
//   npx tsx bench/constrained.ts [--reps 15] [--tokens 64] [--sessions node|web]
import { mkdirSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { createEngine, type GenerateParams, type PetrelEngine } from "../service/src/engine/index.js";
import { nodeGrammar } from "../service/src/grammar/node.js";
import { nodeSessions } from "../service/src/ort/node.js";
import { readModelDir } from "../service/src/ort/node-files.js";
import { webSessions } from "../service/src/ort/web.js";
import { loadNow, machineInfo, median, rotate, round } from "./lib/stats.js";

const { values } = parseArgs({
  options: {
    reps: { type: "string", default: "15" },
    tokens: { type: "string", default: "64" },
    sessions: { type: "string", default: "node" },
    out: { type: "string", default: "bench/results" },
  },
});
const reps = Number(values.reps);
const maxTokens = Number(values.tokens);
const web = values.sessions === "web";
const variant = web ? "new-kv-int8" : "new-kv";

const schema = {
  type: "object",
  properties: {
    name: { type: "string" },
    age: { type: "integer" },
    mood: { enum: ["happy", "sad", "calm"] },
    tags: { type: "array", items: { type: "string" } },
  },
  required: ["name", "age", "mood", "tags"],
  additionalProperties: false,
};
const messages = [{ role: "user" as const, content: "Describe a person as JSON." }];

/** ms per decode step of one run: first token to finish, over the tokens after the first. */
async function timeRun(
  engine: PetrelEngine,
  params: GenerateParams,
): Promise<{ msPerToken: number; tokens: number }> {
  let first = 0;
  let tokens = 0;
  for await (const event of engine.generate(params)) {
    if (event.type === "delta") {
      if (tokens === 0) first = performance.now();
      tokens += event.tokenIds.length;
    }
  }
  const end = performance.now();
  return { msPerToken: (end - first) / Math.max(1, tokens - 1), tokens };
}

const engine = await createEngine({
  id: "petrel-mini",
  files: await readModelDir("models/petrel-mini", variant),
  sessions: web ? webSessions() : nodeSessions(),
  variant,
  grammar: nodeGrammar(),
});
const machine = machineInfo(["@mlc-ai/web-xgrammar"]);
// end-of-turn held off (−100) so unconstrained runs last maxTokens too; under the grammar an end-of-turn
// id is still taken once it is the only token left (the JSON is complete)
const noEos = Object.fromEntries([...engine.arch.eosTokenIds].map((id) => [id, -100]));
const systems = {
  unconstrained: (seed: number): GenerateParams => ({
    messages,
    temperature: 1,
    seed,
    maxTokens,
    logitBias: noEos,
  }),
  constrained: (seed: number): GenerateParams => ({
    messages,
    temperature: 1,
    seed,
    maxTokens,
    logitBias: noEos,
    grammar: { kind: "json_schema", schema },
  }),
};
// warm-up: sessions, the grammar runtime's vocabulary and this schema's compilation
for (const make of Object.values(systems)) await timeRun(engine, make(0));
// Each pair decodes the same number of tokens: a step's cost grows with the cached length, so the
// unconstrained run stops where the constrained one (same seed) ends its JSON. Lengths from an
// untimed constrained run per seed (same seed, same tokens: fp32, or int8 alone).
const lengths: number[] = [];
for (let rep = 0; rep < reps; rep++)
  lengths.push((await timeRun(engine, systems.constrained(rep + 1))).tokens);

const runs: Record<keyof typeof systems, { msPerToken: number; tokens: number }[]> = {
  unconstrained: [],
  constrained: [],
};
const ratios: number[] = [];
for (let rep = 0; rep < reps; rep++) {
  const pair: Partial<Record<keyof typeof systems, number>> = {};
  for (const name of rotate(Object.keys(systems) as (keyof typeof systems)[], rep)) {
    const params = { ...systems[name](rep + 1), maxTokens: lengths[rep] as number };
    const run = await timeRun(engine, params);
    runs[name].push(run);
    pair[name] = run.msPerToken;
  }
  ratios.push((pair.constrained as number) / (pair.unconstrained as number));
}
await engine.dispose();

const summary = (name: keyof typeof systems) => ({
  msPerTokenMedian: round(median(runs[name].map((r) => r.msPerToken)), 4),
  tokensMedian: median(runs[name].map((r) => r.tokens)),
  msPerToken: runs[name].map((r) => round(r.msPerToken, 4)),
});
const unconstrained = summary("unconstrained");
const constrained = summary("constrained");
const result = {
  name: web ? "constrained-web" : "constrained",
  what: "ms per decoded token, JSON-schema grammar mask vs none, one stream, pairs alternating",
  model: "petrel-mini",
  runtime: web ? "onnxruntime-web (wasm)" : "onnxruntime-node (cpu)",
  variant,
  reps,
  maxTokens,
  machine: { ...machine, loadAverage1mAtEnd: loadNow() },
  unconstrained,
  constrained,
  ratioOfMedians: round(constrained.msPerTokenMedian / unconstrained.msPerTokenMedian, 3),
  pairedRatioMedian: round(median(ratios), 3),
  target: "≤ 1.3× (issue 15)",
};
mkdirSync(values.out, { recursive: true });
writeFileSync(`${values.out}/${result.name}.json`, `${JSON.stringify(result, null, 2)}\n`);
console.log(JSON.stringify(result, null, 2));
