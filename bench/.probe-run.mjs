import * as ort from "onnxruntime-node";

const s = await ort.InferenceSession.create("models/petrel-mini/onnx/model.onnx", {
  intraOpNumThreads: 1,
  graphOptimizationLevel: "all",
  executionMode: "sequential",
});
for (const P of [16, 100, 200])
  for (const B of [1, 2, 4, 8, 16]) {
    const feeds = {
      input_ids: new ort.Tensor("int64", new BigInt64Array(B).fill(5n), [B, 1]),
      attention_mask: new ort.Tensor("int64", new BigInt64Array(B * (P + 1)).fill(1n), [B, P + 1]),
      position_ids: new ort.Tensor("int64", new BigInt64Array(B).fill(BigInt(P)), [B, 1]),
    };
    for (const n of ["0.key", "0.value", "1.key", "1.value"])
      feeds["past_key_values." + n] = new ort.Tensor("float32", new Float32Array(B * 2 * P * 16), [
        B,
        2,
        P,
        16,
      ]);
    for (let i = 0; i < 50; i++) await s.run(feeds);
    const N = 300;
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    for (let i = 0; i < N; i++) await s.run(feeds);
    const ms = (performance.now() - t0) / N;
    const c = process.cpuUsage(c0);
    const cpu = (c.user + c.system) / 1000 / N;
    console.log(
      `P=${P} B=${B} ${ms.toFixed(3)} ms/step cpu ${cpu.toFixed(3)} ms ${((B / ms) * 1000).toFixed(0)} tok/s`,
    );
  }
