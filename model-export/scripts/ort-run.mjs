// Runs an exported decoder through onnxruntime-node for the Python tests and the pipeline
// (Debian has no Python onnxruntime). Reads one JSON request on stdin, writes JSON on stdout.
//   {"mode":"logits","model":path,"prompt_ids":[...],"next_ids":[...]}
//     → {"prefill":[[V] per prompt position], "steps":[[V] per next id]}
//   {"mode":"greedy","model":path,"cases":[{"input_ids":[...],"max_new_tokens":n}],"eos":[...]}
//     → {"greedy":[[ids] per case]}
import { readFileSync } from "node:fs";
import * as ort from "onnxruntime-node";

const req = JSON.parse(readFileSync(0, "utf8"));
const session = await ort.InferenceSession.create(req.model, { graphOptimizationLevel: "all", intraOpNumThreads: 1 });
const pastNames = session.inputNames.filter((n) => n.startsWith("past_key_values."));
const meta = Object.fromEntries(session.inputMetadata.map((m) => [m.name, m]));

function emptyPast() {
  const past = {};
  for (const name of pastNames) {
    const [, heads, , headDim] = meta[name].shape;
    past[name] = new ort.Tensor("float32", new Float32Array(0), [1, heads, 0, headDim]);
  }
  return past;
}

// Petrel's new-KV layout (onnx_export.py): an additive attention_bias input instead of
// attention_mask, and this run's K/V packed in one output instead of present.*; the cache is
// concatenated here.
const newKv = session.inputNames.includes("attention_bias");

function causalBias(pastLen, seq) {
  const total = pastLen + seq;
  const bias = new Float32Array(seq * total);
  for (let t = 0; t < seq; t++) bias.fill(-1e9, t * total + pastLen + t + 1, (t + 1) * total);
  return new ort.Tensor("float32", bias, [1, 1, seq, total]);
}

// (1, H, P, D) past ++ this run's (1, T, H·D) keys or values → (1, H, P+T, D)
function appendColumns(past, fresh, seq) {
  const [, heads, pastLen, headDim] = past.dims;
  const out = new Float32Array(heads * (pastLen + seq) * headDim);
  for (let h = 0; h < heads; h++) {
    out.set(past.data.subarray(h * pastLen * headDim, (h + 1) * pastLen * headDim), h * (pastLen + seq) * headDim);
    for (let t = 0; t < seq; t++) {
      const from = (t * heads + h) * headDim;
      out.set(fresh.subarray(from, from + headDim), (h * (pastLen + seq) + pastLen + t) * headDim);
    }
  }
  return new ort.Tensor("float32", out, [1, heads, pastLen + seq, headDim]);
}

// One forward step over `ids` after `pastLen` cached tokens; returns logits rows and the new past.
async function step(ids, past, pastLen) {
  const total = pastLen + ids.length;
  const feeds = {
    input_ids: new ort.Tensor("int64", BigInt64Array.from(ids.map(BigInt)), [1, ids.length]),
    position_ids: new ort.Tensor("int64", BigInt64Array.from(ids.map((_, i) => BigInt(pastLen + i))), [1, ids.length]),
    ...past,
  };
  if (newKv) feeds.attention_bias = causalBias(pastLen, ids.length);
  else feeds.attention_mask = new ort.Tensor("int64", new BigInt64Array(total).fill(1n), [1, total]);
  const out = await session.run(feeds);
  const next = {};
  pastNames.forEach((name, j) => {
    if (!newKv) next[name] = out[name.replace("past_key_values.", "present.")];
    else {
      const plane = out.new_key_values.data.length / pastNames.length;
      next[name] = appendColumns(past[name], out.new_key_values.data.subarray(j * plane, (j + 1) * plane), ids.length);
    }
  });
  const [, seq, vocab] = out.logits.dims;
  const rows = [];
  for (let t = 0; t < seq; t++) rows.push(Array.from(out.logits.data.subarray(t * vocab, (t + 1) * vocab)));
  return { rows, past: next };
}

const argmax = (row) => row.reduce((best, v, i) => (v > row[best] ? i : best), 0);

if (req.mode === "logits") {
  let { rows, past } = await step(req.prompt_ids, emptyPast(), 0);
  const result = { prefill: rows, steps: [] };
  let len = req.prompt_ids.length;
  for (const id of req.next_ids) {
    ({ rows, past } = await step([id], past, len));
    len += 1;
    result.steps.push(rows[0]);
  }
  process.stdout.write(JSON.stringify(result));
} else if (req.mode === "greedy") {
  const greedy = [];
  for (const c of req.cases) {
    let { rows, past } = await step(c.input_ids, emptyPast(), 0);
    let len = c.input_ids.length;
    const ids = [];
    for (let i = 0; i < c.max_new_tokens; i++) {
      const next = argmax(rows[rows.length - 1]);
      ids.push(next);
      if (req.eos.includes(next)) break;
      ({ rows, past } = await step([next], past, len));
      len += 1;
    }
    greedy.push(ids);
  }
  process.stdout.write(JSON.stringify({ greedy }));
} else {
  throw new Error(`unknown mode ${req.mode}`);
}
