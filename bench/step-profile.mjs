// Where one decode step's time goes inside onnxruntime-node: ORT's own profiler over 40 runs of the
// with-past graph at B rows and P cached positions (fp32, 1 thread), kernel time summed per op type,
// and the wall time of `session.run` outside ORT's model_run (the node binding: feeds in, outputs
// copied out to JS). Profiling slows every op, so read shares, not absolute ms. Prints JSON.
//   npx node bench/step-profile.mjs [model dir=bench/models/bench-24m] [B=8] [P=100]
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";

const [model = "bench/models/bench-24m", B = 8, P = 100] = process.argv
  .slice(2)
  .map((x, i) => (i ? Number(x) : x));
const dir = mkdtempSync(join(tmpdir(), "petrel-step-profile-"));
const session = await ort.InferenceSession.create(`${model}/onnx/model.onnx`, {
  executionProviders: ["cpu"],
  graphOptimizationLevel: "all",
  executionMode: "sequential",
  intraOpNumThreads: 1,
  enableProfiling: true,
  profileFilePrefix: join(dir, "ort"),
});
const int64 = (n, fill, dims) => new ort.Tensor("int64", new BigInt64Array(n).fill(fill), dims);
const feeds = {
  input_ids: int64(B, 5n, [B, 1]),
  position_ids: int64(B, BigInt(P), [B, 1]),
  attention_mask: int64(B * (P + 1), 1n, [B, P + 1]),
};
for (const m of session.inputMetadata) {
  if (!m.name.startsWith("past_key_values.")) continue;
  const dims = m.shape.map((d, i) => (typeof d === "number" ? d : i === 0 ? B : P));
  feeds[m.name] = new ort.Tensor("float32", new Float32Array(dims.reduce((a, b) => a * b, 1)), dims);
}
const runs = 40;
for (let i = 0; i < runs; i++) await session.run(feeds); // warm-up (profiled too, excluded below)
const start = performance.now();
for (let i = 0; i < runs; i++) await session.run(feeds);
const jsMs = (performance.now() - start) / runs;
session.endProfiling();
await session.release();

const events = JSON.parse(readFileSync(join(dir, readdirSync(dir)[0]), "utf8"));
rmSync(dir, { recursive: true, force: true });
// only the measured half: the last `runs` model_run events and the kernels inside them
const modelRuns = events.filter((e) => e.cat === "Session" && e.name === "model_run").slice(-runs);
const from = modelRuns[0].ts;
const byOp = new Map();
for (const e of events) {
  if (e.cat !== "Node" || !e.name.endsWith("_kernel_time") || e.ts < from) continue;
  byOp.set(e.args.op_name, (byOp.get(e.args.op_name) ?? 0) + e.dur);
}
const kernelUs = [...byOp.values()].reduce((a, b) => a + b, 0);
const ortMs = modelRuns.reduce((n, e) => n + e.dur, 0) / runs / 1000;
const r3 = (x) => Math.round(x * 1000) / 1000;
console.log(
  JSON.stringify(
    {
      model,
      batch: B,
      cached: P,
      session_run_ms: r3(jsMs),
      ort_model_run_ms: r3(ortMs),
      outside_ort_share: r3(1 - ortMs / jsMs),
      kernel_share_by_op: Object.fromEntries(
        [...byOp]
          .sort((a, b) => b[1] - a[1])
          .slice(0, 8)
          .map(([op, us]) => [op, r3(us / kernelUs)]),
      ),
    },
    null,
    2,
  ),
);
