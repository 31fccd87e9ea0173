// Records the stream the sdk benchmark replays: one real streamed answer of the shipped model from
// a real backend server, bytes exactly as they arrived, written to bench/fixtures/petrel-mini.sse.
//   npx tsx bench/sdk-record.ts [--model models/petrel-mini] [--tokens 200]
import { mkdirSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { startBackend, stopAll } from "./lib/procs.js";

const { values } = parseArgs({
  options: {
    model: { type: "string", default: "models/petrel-mini" },
    tokens: { type: "string", default: "200" },
    out: { type: "string", default: "bench/fixtures/petrel-mini.sse" },
  },
});

const backend = await startBackend(values.model as string);
try {
  const res = await fetch(`${backend.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      model: "petrel-mini",
      messages: [{ role: "user", content: "Tell me about petrels and the sea." }],
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: Number(values.tokens),
      seed: 7,
    }),
  });
  const bytes = new Uint8Array(await res.arrayBuffer());
  mkdirSync("bench/fixtures", { recursive: true });
  writeFileSync(values.out as string, bytes);
  console.log(`recorded ${bytes.length} bytes (status ${res.status}) to ${values.out}`);
} finally {
  await stopAll();
}
process.exit(0);
