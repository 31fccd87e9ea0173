// SDK benchmark: chunks/s parsed by the Petrel SDK vs the official `openai` package, both reading
// the same recorded stream (bench/fixtures/petrel-mini.sse, a real answer of the shipped model; its
// content events repeated to --chunks) served from memory through each client's `fetch` option, so
// only the client's work is timed: bytes → lines → SSE events → JSON → typed chunks → for-await.
// Two deliveries: one SSE event per read (as the server writes them) and fixed 4 KiB reads (events
// split anywhere). The clients alternate, order rotating each repetition; medians and ratios.
//   npx tsx bench/sdk.ts [--chunks 20000] [--reps 7] [--out bench/results]
import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import OpenAI from "openai";
// the SDK's source (what its dist/ is compiled from), so no build step is needed first
import { Petrel } from "../sdk/src/index.js";
import { loadNow, machineInfo, median, rotate, round } from "./lib/stats.js";

const { values } = parseArgs({
  options: {
    fixture: { type: "string", default: "bench/fixtures/petrel-mini.sse" },
    chunks: { type: "string", default: "20000" },
    reps: { type: "string", default: "7" },
    out: { type: "string", default: "bench/results" },
    // one client only (e.g. to profile it with node --cpu-prof); the ratios then need both
    clients: { type: "string", default: "@petrel/sdk,openai" },
  },
});

const recorded = readFileSync(values.fixture as string, "utf8");
const events = recorded.split("\n\n").filter((e) => e.startsWith("data:"));
// head: role chunk; body: content chunks; tail: finish, usage, [DONE]
const [head, tail] = [events.slice(0, 1), events.slice(-3)];
const body = events.slice(1, -3);
const wanted = Number(values.chunks);
const replay = [...head, ...Array.from({ length: wanted - 4 }, (_, i) => body[i % body.length]), ...tail];
const encoder = new TextEncoder();
const eventPieces = replay.map((e) => encoder.encode(`${e}\n\n`));
const all = encoder.encode(replay.map((e) => `${e}\n\n`).join(""));
const fixedPieces = Array.from({ length: Math.ceil(all.length / 4096) }, (_, i) =>
  all.subarray(i * 4096, (i + 1) * 4096),
);
const deliveries = { "event-per-read": eventPieces, "4KiB-reads": fixedPieces };

function memoryFetch(pieces: Uint8Array[]) {
  return async (): Promise<Response> => {
    let i = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        const piece = pieces[i++];
        if (piece) controller.enqueue(piece);
        else controller.close();
      },
    });
    return new Response(stream, { status: 200, headers: { "content-type": "text/event-stream" } });
  };
}

const request = {
  model: "petrel-mini",
  messages: [{ role: "user" as const, content: "Tell me about petrels and the sea." }],
  stream: true as const,
  stream_options: { include_usage: true },
};

type Client = (pieces: Uint8Array[]) => Promise<{ chunks: number; chars: number }>;
const clients: Record<string, Client> = {
  "@petrel/sdk": async (pieces) => {
    const client = new Petrel({
      baseURL: "http://127.0.0.1:9/v1",
      fetch: memoryFetch(pieces),
      maxRetries: 0,
    });
    let [chunks, chars] = [0, 0];
    for await (const c of await client.chat.completions.create(request)) {
      chunks++;
      chars += c.choices[0]?.delta.content?.length ?? 0;
    }
    return { chunks, chars };
  },
  openai: async (pieces) => {
    const client = new OpenAI({
      apiKey: "bench",
      baseURL: "http://127.0.0.1:9/v1",
      fetch: memoryFetch(pieces),
      maxRetries: 0,
    });
    let [chunks, chars] = [0, 0];
    for await (const c of await client.chat.completions.create(request)) {
      chunks++;
      chars += c.choices[0]?.delta.content?.length ?? 0;
    }
    return { chunks, chars };
  },
};

const machine = machineInfo(["openai", "eventsource-parser"]);
const reps = Number(values.reps);
const names = (values.clients as string).split(",").filter((n) => n in clients);
const runs: { client: string; delivery: string; rep: number; ms: number; chunksPerS: number }[] = [];
const seen: Record<string, string> = {};
for (const [delivery, pieces] of Object.entries(deliveries)) {
  for (const name of names) await (clients[name] as Client)(pieces); // warm-up (JIT)
  for (let rep = 0; rep < reps; rep++) {
    for (const name of rotate(names, rep)) {
      const start = performance.now();
      const got = await (clients[name] as Client)(pieces);
      const ms = performance.now() - start;
      // both clients must see the same chunks and text, or the race is unfair
      seen[`${name}|${delivery}`] = `${got.chunks} chunks, ${got.chars} chars`;
      runs.push({
        client: name,
        delivery,
        rep,
        ms: round(ms),
        chunksPerS: Math.round((got.chunks / ms) * 1000),
      });
    }
  }
}

const rows = Object.keys(deliveries).flatMap((delivery) =>
  names.map((client) => {
    const mine = runs.filter((r) => r.client === client && r.delivery === delivery);
    const theirs = runs.filter((r) => r.client === "openai" && r.delivery === delivery);
    return {
      client,
      delivery,
      chunks_per_s: Math.round(median(mine.map((r) => r.chunksPerS))),
      us_per_chunk: round(1e6 / median(mine.map((r) => r.chunksPerS)), 3),
      // paired with openai's run of the same repetition
      ratio_vs_openai: round(
        median(mine.map((r, i) => r.chunksPerS / (theirs[i]?.chunksPerS ?? Number.NaN))),
        3,
      ),
    };
  }),
);
const report = {
  benchmark: "sdk",
  fixture: values.fixture,
  streamChunks: wanted,
  streamBytes: all.length,
  reps,
  parsed: seen,
  machine: { ...machine, loadAverage1mAtEnd: loadNow() },
  rows,
  runs,
};
writeFileSync(`${values.out}/sdk.json`, `${JSON.stringify(report, null, 2)}\n`);
console.log(JSON.stringify({ parsed: seen, rows }, null, 2));
