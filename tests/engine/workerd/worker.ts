// Test-only Worker: runs the engine on onnxruntime-web inside workerd, so tests can compare its
// tokens with PyTorch's golden.json and with onnxruntime-node, and read the wasm memory size.
//   POST /generate { model, variant, promptIds | messages, params } → { events }
//   GET  /memory?model=&variant=   → loads the model (once per isolate), { wasmMemoryBytes }
import { createEngine, type OnnxVariant, type PetrelEngine } from "../../../service/src/engine/index.js";
import { wasmMemoryBytes, workerdSessions } from "../../../service/src/ort/workerd.js";
import { bundledModels } from "./models.js";

const engines = new Map<string, Promise<PetrelEngine>>();

function engineFor(model: string, variant: OnnxVariant): Promise<PetrelEngine> {
  const key = `${model}/${variant}`;
  let engine = engines.get(key);
  if (!engine) {
    const files = bundledModels[model];
    if (!files) throw new Error(`unknown model ${model}`);
    engine = createEngine({ id: model, files, sessions: workerdSessions(), variant });
    engines.set(key, engine);
  }
  return engine;
}

interface GenerateBody {
  model: string;
  variant: OnnxVariant;
  promptIds?: number[];
  messages?: { role: "user" | "system" | "assistant"; content: string }[];
  params: Record<string, unknown>;
}

async function generate(body: GenerateBody): Promise<Response> {
  const engine = await engineFor(body.model, body.variant);
  const stream = body.promptIds
    ? engine.generateFromIds(body.promptIds, body.params)
    : engine.generate({ ...body.params, messages: body.messages ?? [] });
  const events: unknown[] = [];
  for await (const event of stream) events.push(event);
  return Response.json({ events, wasmMemoryBytes: wasmMemoryBytes() });
}

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    try {
      if (request.method === "POST" && url.pathname === "/generate") {
        return await generate((await request.json()) as GenerateBody);
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
