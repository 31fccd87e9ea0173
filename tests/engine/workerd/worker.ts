// Test-only Worker: runs the engine on onnxruntime-web inside workerd, so tests can compare its
// tokens with PyTorch's golden.json and with onnxruntime-node, and read the wasm memory size.
//   POST /generate { model, variant, promptIds | messages, params } → { events }
//   POST /stream   (same body, plus `together: n`) → the events as they come, one JSON line each;
//                  with `together`, it starts once n such requests have arrived, so they are
//                  concurrent in the isolate for sure and share the engine's decode steps
//   GET  /memory?model=&variant=   → loads the model (once per isolate), { wasmMemoryBytes }
//   GET  /runs     → [batch, seq] of every session run since the last /runs, then forgets them
import {
  createEngine,
  type DecoderSession,
  type OnnxVariant,
  type PetrelEngine,
  type SessionFactory,
} from "../../../service/src/engine/index.js";
import { workerdGrammar } from "../../../service/src/grammar/workerd.js";
import { wasmMemoryBytes, workerdSessions } from "../../../service/src/ort/workerd.js";
import { bundledModels } from "./models.js";

const engines = new Map<string, Promise<PetrelEngine>>();
let runs: [number, number][] = [];

/** workerdSessions, recording each run's input_ids shape. */
function recordingSessions(inner: SessionFactory): SessionFactory {
  return {
    name: `${inner.name}+recording`,
    async create(model, options) {
      const session = await inner.create(model, options);
      const run: DecoderSession["run"] = (feeds, fetches) => {
        const [batch, seq] = feeds.input_ids?.dims ?? [];
        runs.push([batch as number, seq as number]);
        return session.run(feeds, fetches);
      };
      return { ...session, inputNames: session.inputNames, outputNames: session.outputNames, run };
    },
  };
}

function engineFor(model: string, variant: OnnxVariant): Promise<PetrelEngine> {
  const key = `${model}/${variant}`;
  let engine = engines.get(key);
  if (!engine) {
    const files = bundledModels[model];
    if (!files) throw new Error(`unknown model ${model}`);
    engine = createEngine({
      id: model,
      files,
      sessions: recordingSessions(workerdSessions()),
      variant,
      grammar: workerdGrammar(),
    });
    engines.set(key, engine);
  }
  return engine;
}

/**
 * Requests held until `want` of them have arrived. Each polls on a timer of its own: workerd cancels
 * a request as hung when it only awaits a promise that another request resolves.
 */
let gathering: { want: number; arrived: number } | undefined;

async function gather(want: number): Promise<void> {
  gathering ??= { want, arrived: 0 };
  const group = gathering;
  if (++group.arrived >= group.want) gathering = undefined;
  while (group.arrived < group.want) await new Promise((resolve) => setTimeout(resolve, 1));
}

interface GenerateBody {
  together?: number;
  model: string;
  variant: OnnxVariant;
  promptIds?: number[];
  messages?: { role: "user" | "system" | "assistant"; content: string }[];
  params: Record<string, unknown>;
}

async function events(body: GenerateBody) {
  const engine = await engineFor(body.model, body.variant);
  return body.promptIds
    ? engine.generateFromIds(body.promptIds, body.params)
    : engine.generate({ ...body.params, messages: body.messages ?? [] });
}

async function generate(body: GenerateBody): Promise<Response> {
  const all: unknown[] = [];
  for await (const event of await events(body)) all.push(event);
  return Response.json({ events: all, wasmMemoryBytes: wasmMemoryBytes() });
}

/** One line per event, pulled from the engine only as the response is read (like the SSE writer). */
async function stream(body: GenerateBody): Promise<Response> {
  if (body.together) await gather(body.together);
  const iterator = (await events(body))[Symbol.asyncIterator]();
  const encoder = new TextEncoder();
  const lines = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const next = await iterator.next();
        if (next.done) controller.close();
        else controller.enqueue(encoder.encode(`${JSON.stringify(next.value)}\n`));
      },
      async cancel() {
        await iterator.return?.();
      },
    },
    { highWaterMark: 0 },
  );
  return new Response(lines, { headers: { "content-type": "application/x-ndjson" } });
}

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    try {
      if (request.method === "POST" && url.pathname === "/generate") {
        return await generate((await request.json()) as GenerateBody);
      }
      if (request.method === "POST" && url.pathname === "/stream") {
        return await stream((await request.json()) as GenerateBody);
      }
      if (url.pathname === "/runs") {
        const seen = runs;
        runs = [];
        return Response.json(seen);
      }
      if (url.pathname === "/health") return new Response("ok");
      if (url.pathname === "/memory") {
        const model = url.searchParams.get("model") ?? "petrel-mini";
        const variant = (url.searchParams.get("variant") ?? "int8") as OnnxVariant;
        await engineFor(model, variant);
        return Response.json({ wasmMemoryBytes: wasmMemoryBytes() });
      }
      return new Response("not found", { status: 404 });
    } catch (error) {
      const e = error as Error;
      return Response.json({ error: e.name, message: e.message, stack: e.stack }, { status: 500 });
    }
  },
};
