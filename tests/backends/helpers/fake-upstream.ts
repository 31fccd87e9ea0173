// A FAKE OpenAI-compatible upstream on 127.0.0.1 that misbehaves on cue: the faults under test
// (stalls, garbage, 429, 503, split UTF-8) can't be caused on a real engine at a chosen moment.
// Each request takes the next scripted behaviour; when the script runs out it serves `ok`.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type Behaviour =
  | {
      kind: "ok";
      tokens?: string[];
      delayMs?: number;
      crlf?: boolean;
      comments?: boolean;
      noFinalBlank?: boolean;
    }
  | { kind: "split-utf8"; text: string }
  | { kind: "stall-before-first" }
  | { kind: "stall-mid-stream"; tokens: string[] }
  | { kind: "garbage"; afterTokens?: string[] }
  | { kind: "error-event"; afterTokens: string[] }
  | { kind: "status"; status: number; retryAfter?: string; body?: unknown }
  | { kind: "no-headers" };

export interface FakeUpstream {
  url: string;
  /** Bodies of chat requests received, in order. */
  requests: Record<string, unknown>[];
  /** Number of chat requests whose connection closed before the fake finished writing. */
  disconnects: number;
  /** The next requests' behaviours. */
  script: Behaviour[];
  /** What GET /v1/load answers (Petrel's load report). */
  load: { queued: number; active: number; capacity: number };
  ready: boolean;
  /** Prometheus text at GET /metrics (vLLM/TGI style); 404 when undefined. */
  metrics?: string;
  close(): Promise<void>;
}

const chunk = (content: Record<string, unknown>, finish: string | null = null) =>
  JSON.stringify({
    id: "chatcmpl-fake",
    object: "chat.completion.chunk",
    created: 1,
    model: "upstream-name",
    choices: [{ index: 0, delta: content, logprobs: null, finish_reason: finish }],
  });
const usageChunk = (n: number) =>
  JSON.stringify({
    id: "chatcmpl-fake",
    object: "chat.completion.chunk",
    created: 1,
    model: "upstream-name",
    choices: [],
    usage: { prompt_tokens: 3, completion_tokens: n, total_tokens: 3 + n },
  });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function sseHead(res: ServerResponse): void {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  res.flushHeaders();
}

async function serveOk(res: ServerResponse, b: Extract<Behaviour, { kind: "ok" }>): Promise<void> {
  const nl = b.crlf ? "\r\n" : "\n";
  const send = (data: string) => res.write(`data: ${data}${nl}${nl}`);
  sseHead(res);
  if (b.comments) res.write(`: keep-alive${nl}${nl}`);
  send(chunk({ role: "assistant", content: "" }));
  const tokens = b.tokens ?? ["Hello", " world"];
  for (const t of tokens) {
    if (b.delayMs) await sleep(b.delayMs);
    if (b.comments) res.write(`: ping${nl}`);
    send(chunk({ content: t }));
  }
  send(chunk({}, "stop"));
  send(usageChunk(tokens.length));
  res.end(b.noFinalBlank ? "data: [DONE]" : `data: [DONE]${nl}${nl}`);
}

async function serveSplitUtf8(res: ServerResponse, text: string): Promise<void> {
  sseHead(res);
  const bytes = Buffer.from(`data: ${chunk({ content: text })}\n\n`);
  // One byte per write (and per TCP segment with the delay): every multi-byte character is split.
  for (let i = 0; i < bytes.length; i += 1) {
    res.write(bytes.subarray(i, i + 1));
    if (i % 16 === 0) await sleep(1);
  }
  res.write(`data: ${chunk({}, "stop")}\n\ndata: ${usageChunk(1)}\n\n`);
  res.end("data: [DONE]\n\n");
}

async function serve(b: Behaviour, res: ServerResponse): Promise<void> {
  switch (b.kind) {
    case "ok":
      return serveOk(res, b);
    case "split-utf8":
      return serveSplitUtf8(res, b.text);
    case "stall-before-first":
      sseHead(res);
      res.write(`data: ${chunk({ role: "assistant", content: "" })}\n\n`);
      return; // never another byte
    case "stall-mid-stream":
      sseHead(res);
      for (const t of b.tokens) res.write(`data: ${chunk({ content: t })}\n\n`);
      return;
    case "garbage":
      sseHead(res);
      for (const t of b.afterTokens ?? []) res.write(`data: ${chunk({ content: t })}\n\n`);
      res.end("data: {this is not json\n\n");
      return;
    case "error-event":
      sseHead(res);
      for (const t of b.afterTokens) res.write(`data: ${chunk({ content: t })}\n\n`);
      res.end(
        `data: ${JSON.stringify({ error: { message: "engine exploded", type: "server_error", code: null } })}\n\n`,
      );
      return;
    case "status":
      res.writeHead(b.status, {
        "content-type": "application/json",
        ...(b.retryAfter ? { "retry-after": b.retryAfter } : {}),
      });
      res.end(JSON.stringify(b.body ?? { error: { message: `fake ${b.status}`, type: "server_error" } }));
      return;
    case "no-headers":
      return; // accepted the connection, never answers
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let body = "";
    req.on("data", (c) => {
      body += c;
    });
    req.on("end", () => resolve(body));
  });
}

export async function startFakeUpstream(script: Behaviour[] = []): Promise<FakeUpstream> {
  const fake: Omit<FakeUpstream, "url" | "close"> = {
    requests: [],
    disconnects: 0,
    script,
    load: { queued: 0, active: 0, capacity: 4 },
    ready: true,
  };
  const server = createServer(async (req, res) => {
    if (req.method === "GET" && req.url === "/v1/load") {
      res.writeHead(fake.ready ? 200 : 503, { "content-type": "application/json" });
      return res.end(JSON.stringify(fake.load));
    }
    if (req.method === "GET" && req.url === "/metrics") {
      res.writeHead(fake.metrics === undefined ? 404 : 200, { "content-type": "text/plain" });
      return res.end(fake.metrics ?? "");
    }
    if (req.method === "GET" && req.url === "/health") {
      res.writeHead(fake.ready ? 200 : 503);
      return res.end();
    }
    const body = await readBody(req);
    fake.requests.push(JSON.parse(body));
    res.on("close", () => {
      if (!res.writableFinished) fake.disconnects += 1;
    });
    await serve(fake.script.shift() ?? { kind: "ok" }, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(fake, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
