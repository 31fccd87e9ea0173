// Adds the harness's machine and version block to a result written by a benchmark that records less
// (the engine bench keeps its own fields; these are merged under "machine").
//   npx tsx bench/lib/annotate.ts bench/results/engine.json
import { readFileSync, writeFileSync } from "node:fs";
import { loadNow, machineInfo } from "./stats.js";

const file = process.argv[2] as string;
const result = JSON.parse(readFileSync(file, "utf8"));
const info = machineInfo(["@huggingface/transformers", "@huggingface/tokenizers"]);
// the engine bench's own load figure was taken at its end, so it stays and ours says "now"
const { loadAverage1mAtStart: _, ...rest } = info;
result.machine = { ...rest, ...result.machine, loadAverage1mAtEnd: loadNow() };
writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
