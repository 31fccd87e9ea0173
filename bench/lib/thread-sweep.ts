// The engine bench's thread sweep: decode tok/s of Petrel (onnxruntime-node) and llama.cpp at each
// thread count, on one prompt, alternating system and count within each repetition, with the load
// average beside each sample. It is separate from the main table because llama.cpp past one thread
// can be two orders of magnitude slower on a loaded 2-core machine (see llama-cpp.ts), which would
// stretch the full table for minutes. Beside each sample: this process's CPU per decoded token and
// how long its threads sat runnable but unscheduled (/proc/self/task/*/schedstat; threads that ended
// during the sample, such as llama.cpp's per-call workers, are not counted).
import { readdirSync, readFileSync } from "node:fs";
import { loadavg } from "node:os";
import type { OnnxVariant } from "../../service/src/engine/index.js";
import { nodeSessions } from "../../service/src/ort/node.js";
import { petrelSystem, petrelVariant, type System } from "../engine-systems.js";
import { type GgufKind, llamaCppSystem } from "./llama-cpp.js";
import { median, rotate, round } from "./stats.js";

/** [CPU ns, run-queue wait ns] summed over this process's live threads. */
function schedNs(): [number, number] {
  let cpu = 0;
  let wait = 0;
  for (const task of readdirSync("/proc/self/task")) {
    try {
      const [c, w] = readFileSync(`/proc/self/task/${task}/schedstat`, "utf8").split(" ").map(Number);
      cpu += c ?? 0;
      wait += w ?? 0;
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return [cpu, wait];
}

async function sample(s: System, ids: number[], tokens: number) {
  const start = performance.now();
  await s.generate(ids, 1);
  const first = performance.now() - start;
  const cpu0 = process.cpuUsage();
  const [, wait0] = schedNs();
  const again = performance.now();
  await s.generate(ids, tokens);
  const ms = performance.now() - again;
  const cpu = process.cpuUsage(cpu0);
  return {
    tokS: round(((tokens - 1) / (ms - first)) * 1000, 1),
    cpuMsPerToken: round((cpu.user + cpu.system) / 1000 / tokens, 3),
    runQueueWaitMsPerToken: round((schedNs()[1] - wait0) / 1e6 / tokens, 3),
    load1m: round(loadavg()[0] ?? 0),
  };
}

export async function threadSweep(opts: {
  dir: string;
  variant: OnnxVariant;
  kind: GgufKind;
  threads: number[];
  ids: number[];
  tokens: number;
  reps: number;
}) {
  const systems: { system: string; threads: number; s: System }[] = [];
  for (const threads of opts.threads) {
    const own = petrelVariant(opts.dir, opts.variant);
    const petrel = await petrelSystem("petrel", opts.dir, own, nodeSessions({ intraOpNumThreads: threads }));
    systems.push({ system: "petrel+onnxruntime-node", threads, s: petrel });
    systems.push({
      system: `llama.cpp ${opts.kind.toUpperCase()}`,
      threads,
      s: await llamaCppSystem(opts.dir, opts.kind, threads),
    });
  }
  const samples = new Map(systems.map((x) => [x, [] as Awaited<ReturnType<typeof sample>>[]]));
  for (const x of systems) await x.s.generate(opts.ids, 4); // warm-up
  for (let rep = 0; rep < opts.reps; rep++)
    for (const x of rotate(systems, rep)) samples.get(x)?.push(await sample(x.s, opts.ids, opts.tokens));
  return {
    promptTokens: opts.ids.length,
    newTokens: opts.tokens,
    reps: opts.reps,
    rows: systems.map((x) => ({
      system: x.system,
      threads: x.threads,
      decodeTokPerS: Math.round(median(samples.get(x)?.map((v) => v.tokS) ?? [])),
      cpuMsPerToken: round(median(samples.get(x)?.map((v) => v.cpuMsPerToken) ?? []), 3),
      runQueueWaitMsPerToken: round(median(samples.get(x)?.map((v) => v.runQueueWaitMsPerToken) ?? []), 3),
      samples: samples.get(x),
    })),
  };
}
