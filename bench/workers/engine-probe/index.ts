// The shipped engine (service/src/entry/bundled-model.ts: petrel-mini int8 new-KV on onnxruntime-web)
// driven inside workerd with no HTTP streaming, so bench/worker-engine-cost.ts can split workerd's CPU
// per token into the decode steps' session runs and the rest of the engine. Every route repeats its
// work `rounds` times within the one request (workerd's CPU is read from /proc in 10 ms ticks).
//   GET /steps?b=B&t=T&p=P&rounds=R  T decode steps of the engine's BatchRunner over B rows, P cached
//                                    positions each to start: feeds, session.run, the new K/V written in
//                                    place; no sampling, no events
//   GET /generate?b=B&t=T&rounds=R   B concurrent greedy requests through the engine's batch scheduler
//                                    (chat template, tokenizer, prefill, logits processing, detokenizer,
//                                    stop strings, events), EOS and BOS banned so each makes T tokens
import weights from "../../../models/petrel-mini/onnx/model_new_kv_quantized.onnx";
import { BatchRunner } from "../../../service/src/engine/batching/batch-runner.js";
import type { PetrelEngine } from "../../../service/src/engine/index.js";
import { bundledEngine } from "../../../service/src/entry/bundled-model.js";
import { workerdSessions } from "../../../service/src/ort/workerd.js";

const questions = ["Tell me about petrels.", "What is 12 plus 7?", "Describe the sea at night.", "Hello!"];

// A second session on the same weights: the engine keeps its own to itself.
let runner: Promise<BatchRunner> | undefined;
function stepRunner(engine: PetrelEngine): Promise<BatchRunner> {
  runner ??= workerdSessions()
    .create(new Uint8Array(weights))
    .then((session) => new BatchRunner(session, engine.arch));
  return runner;
}

async function steps(engine: PetrelEngine, batch: number, tokens: number, cached: number): Promise<number> {
  const r = await stepRunner(engine);
  const rows = [];
  for (let b = 0; b < batch; b++) {
    const ids = Array.from({ length: cached }, (_, i) => 10 + ((i * 7 + b) % 200));
    rows.push((await r.prefillChunk(ids, undefined)).kv);
  }
  let { block, columns } = r.pack(rows);
  for (let s = 0; s < tokens; s++) {
    const out = await r.decode(
      block,
      columns,
      rows.map(() => ({ id: 5, length: cached + s })),
    );
    ({ block, columns } = out);
  }
  return batch * tokens;
}

async function generate(engine: PetrelEngine, batch: number, tokens: number): Promise<number> {
  let made = 0;
  const one = async (i: number) => {
    const messages = [{ role: "user" as const, content: questions[i % questions.length] as string }];
    const params = { messages, maxTokens: tokens, temperature: 0, logitBias: { 0: -100, 2: -100 } };
    for await (const event of engine.generate(params))
      if (event.type === "delta") made += event.tokenIds.length;
  };
  await Promise.all(Array.from({ length: batch }, (_, i) => one(i)));
  return made;
}

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/health") return new Response("ok");
    const arg = (name: string, fallback: number) => Number(url.searchParams.get(name) ?? fallback);
    const [batch, tokens, rounds] = [arg("b", 1), arg("t", 128), arg("rounds", 1)];
    const engine = (await bundledEngine()) as PetrelEngine;
    let made = 0;
    for (let round = 0; round < rounds; round++) {
      if (url.pathname === "/steps") made += await steps(engine, batch, tokens, arg("p", 16));
      else if (url.pathname === "/generate") made += await generate(engine, batch, tokens);
      else return new Response("not found", { status: 404 });
    }
    return Response.json({ tokens: made });
  },
};
