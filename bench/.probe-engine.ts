import { createEngine } from "../service/src/engine/index.js";
import { nodeSessions } from "../service/src/ort/node.js";
import { readModelDir } from "../service/src/ort/node-files.js";

const variant = (process.argv[2] ?? "fp32") as "fp32" | "int8";
const files = await readModelDir("models/petrel-mini", variant);
const prompt = Array.from({ length: 40 }, (_, i) => 10 + i * 3);
for (const batching of [undefined, { maxBatchSize: 8 }]) {
  const engine = await createEngine({ files, sessions: nodeSessions(), variant, batching });
  for (const conc of [1, 8]) {
    const t0 = performance.now();
    let tokens = 0;
    await Promise.all(
      Array.from({ length: conc }, async () => {
        for await (const e of engine.generateFromIds(prompt, { temperature: 0, maxTokens: 200 }))
          if (e.type === "usage") tokens += e.usage.completionTokens;
      }),
    );
    const s = (performance.now() - t0) / 1000;
    console.log(variant, batching ? "batched" : "plain", conc, tokens, (tokens / s).toFixed(0), "tok/s");
  }
  await engine.dispose();
}
