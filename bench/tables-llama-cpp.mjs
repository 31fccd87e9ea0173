// bench/README.md's llama.cpp parts: the engine bench's ratios and thread sweep, and the concurrency
// bench's in-process engines (Petrel's batching engine against llama.cpp's sequences in one context).
import { table } from "./lib/markdown.mjs";

export function llamaCppEngine(r) {
  const x = r.ratiosVsLlamaCpp;
  if (!x) return "";
  const byThreads = Object.entries(x.sweepByThreads ?? {})
    .map(([n, v]) => `${n} thread(s) ${v}×`)
    .join(", ");
  const b = x.decodeBestVsBest;
  const ratios = `\n\nPetrel (onnxruntime-node) over llama.cpp ${r.files?.llamaCpp ?? ""}, decode: one thread each ${x.decodeOneThread}×; thread sweep ${byThreads}; each at its best ${b.ratio}× (${b.petrel} vs ${b.llamaCpp}).`;
  const s = r.threadSweep;
  if (!s) return ratios;
  const rows = s.rows.map((row) => [
    row.system,
    row.threads,
    row.decodeTokPerS,
    row.cpuMsPerToken,
    row.runQueueWaitMsPerToken,
  ]);
  const header = ["system", "threads", "decode tok/s", "CPU ms/token", "run-queue wait ms/token"];
  return `${ratios}\n\nThread sweep (${s.promptTokens}-token prompt, ${s.newTokens} new tokens, ${s.reps} reps, alternating):\n\n${table(header, rows)}`;
}

export function llamaCppConcurrency(r) {
  return (r.inProcess ?? [])
    .map((m) => {
      const rows = m.rows.map((x) => [x.system, x.sequences, x.aggregate_tok_s]);
      const ratios = m.petrelOverLlamaCpp
        .map((x) => `${x.llamaCpp} at ${x.sequences}: ${x.ratio}×`)
        .join("; ");
      return `### concurrency in process (${m.model}, engines alone without HTTP, ${m.threads} thread(s), ${m.tokensPerSequence} tokens per sequence)\n\n${table(["engine", "sequences", "aggregate tok/s"], rows)}\n\nPetrel's batching engine over llama.cpp, aggregate tok/s: ${ratios}.`;
    })
    .join("\n\n");
}
