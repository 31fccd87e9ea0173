// A FAKE vLLM on 127.0.0.1 that answers tool-calling and structured-output requests the way vLLM's
// OpenAI server streams them (hermes parser): a role chunk, then per call a delta with index, id,
// type and function.name, then function.arguments in fragments, finish_reason "tool_calls", the usage
// chunk and [DONE]. No real vLLM runs here, and a fake can misbehave on purpose (call an unknown
// function, send broken arguments or JSON), which no real model does on demand. It records every
// request body it receives.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeCall {
  name: string;
  /** The arguments as JSON text, streamed in `fragments` pieces. */
  arguments: string;
}

export interface FakeVllmOptions {
  /** Calls to make when the request has tools. */
  calls: FakeCall[];
  /** Content to stream when the request asks for a JSON response format. */
  json: string;
  /** The answer once the last message is a tool result (the end of a tool loop). */
  final?: string;
  fragments?: number;
}

export interface FakeVllm {
  url: string;
  requests: Record<string, unknown>[];
  /** Every `data:` payload written, in order, per request. */
  sent: string[][];
  close(): Promise<void>;
}

const split = (text: string, pieces: number): string[] => {
  const size = Math.max(1, Math.ceil(text.length / pieces));
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
};

/** The `data:` payloads vLLM would stream for this request. */
export function vllmPayloads(request: Record<string, unknown>, options: FakeVllmOptions): string[] {
  const chunk = (delta: unknown, finish: string | null = null) =>
    JSON.stringify({
      id: "chatcmpl-vllm-1",
      object: "chat.completion.chunk",
      created: 1_700_000_000,
      model: request.model,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    });
  const pieces = options.fragments ?? 4;
  const out = [chunk({ role: "assistant", content: "" })];
  const tools = request.tools as unknown[] | undefined;
  const messages = request.messages as { role?: string }[];
  const answered = messages.at(-1)?.role === "tool";
  const format = (request.response_format as { type?: string } | undefined)?.type;
  let finish = "stop";
  let completion = 0;
  if (tools && tools.length > 0 && request.tool_choice !== "none" && !answered) {
    options.calls.forEach((call, index) => {
      const id = `chatcmpl-tool-${index}${"0".repeat(7)}`;
      out.push(chunk({ tool_calls: [{ index, id, type: "function", function: { name: call.name } }] }));
      for (const fragment of split(call.arguments, pieces))
        out.push(chunk({ tool_calls: [{ index, function: { arguments: fragment } }] }));
      completion += pieces + 1;
    });
    finish = "tool_calls";
  } else {
    const json = format === "json_schema" || format === "json_object";
    const text = json ? options.json : answered ? (options.final ?? "Done.") : "Hello.";
    for (const fragment of split(text, pieces)) out.push(chunk({ content: fragment }));
    completion += pieces;
  }
  out.push(chunk({}, finish));
  const usage = { prompt_tokens: 30, completion_tokens: completion, total_tokens: 30 + completion };
  out.push(
    JSON.stringify({
      id: "chatcmpl-vllm-1",
      object: "chat.completion.chunk",
      created: 1_700_000_000,
      model: request.model,
      choices: [],
      usage,
    }),
  );
  return out;
}

async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  let text = "";
  for await (const part of req) text += part;
  return JSON.parse(text);
}

export async function startFakeVllm(options: FakeVllmOptions): Promise<FakeVllm> {
  const requests: Record<string, unknown>[] = [];
  const sent: string[][] = [];
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== "POST" || req.url !== "/v1/chat/completions") {
      res.writeHead(req.url === "/health" ? 200 : 404).end();
      return;
    }
    const body = await readBody(req);
    requests.push(body);
    const payloads = vllmPayloads(body, options);
    sent.push(payloads);
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    for (const data of payloads) res.write(`data: ${data}\n\n`);
    res.end("data: [DONE]\n\n");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    sent,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
