// A fake upstream for retry/timeout tests: a real Node HTTP server on 127.0.0.1 that answers each
// request with the next scripted step, so faults (500s, hangs, dropped sockets) happen on cue.
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export type Step =
  | { status: number; headers?: Record<string, string>; body?: unknown }
  /** Accept the request and never answer (until the server closes). */
  | { hang: true }
  /** Destroy the socket without a response. */
  | { drop: true }
  /**
   * Send headers, then `parts` of body with `gapMs` between them; `dropAfter` kills the socket then.
   * `holdAfter: n` stops after n parts until the test calls `release()` (never, for a body that stalls).
   */
  | {
      status: number;
      headers?: Record<string, string>;
      parts: string[];
      gapMs?: number;
      dropAfter?: boolean;
      holdAfter?: number;
    };

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** Set when the client hung up before the scripted response was fully written. */
  hungUp: boolean;
}

export interface ScriptedServer {
  baseURL: string;
  seen: SeenRequest[];
  /** Replaces the script; requests beyond it get a 599 so a test notices an unexpected retry. */
  script(steps: Step[]): void;
  /** Lets a step held by `holdAfter` write the rest of its parts. */
  release(): void;
  close(): Promise<void>;
}

export async function startScriptedServer(): Promise<ScriptedServer> {
  let steps: Step[] = [];
  const seen: SeenRequest[] = [];
  let release = () => {};
  const held = () =>
    new Promise<void>((resolve) => {
      release = resolve;
    });
  const sockets = new Set<Socket>();
  const server: Server = createServer(async (req, res) => {
    let body = "";
    for await (const part of req) body += part;
    const record = {
      method: req.method ?? "",
      url: req.url ?? "",
      headers: req.headers,
      body,
    };
    const entry: SeenRequest = { ...record, hungUp: false };
    seen.push(entry);
    res.on("close", () => {
      if (!res.writableFinished) entry.hungUp = true;
    });
    const step = steps.shift() ?? { status: 599, body: { error: { message: "script exhausted" } } };
    await play(step, res, held);
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    seen,
    script(next) {
      steps = [...next];
      seen.length = 0;
    },
    release: () => release(),
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

async function play(step: Step, res: ServerResponse, held: () => Promise<void>): Promise<void> {
  if ("hang" in step) return;
  if ("drop" in step) {
    res.socket?.destroy();
    return;
  }
  if ("parts" in step) {
    res.writeHead(step.status, { "content-type": "text/event-stream", ...step.headers });
    for (const [i, part] of step.parts.entries()) {
      if (i > 0 && step.gapMs) await new Promise((r) => setTimeout(r, step.gapMs));
      if (i === step.holdAfter) await held();
      if (res.destroyed) return;
      await new Promise((flushed) => res.write(part, flushed));
    }
    // Let the client read what was written before the socket dies, so the drop is mid-stream.
    if (step.dropAfter) setTimeout(() => res.socket?.destroy(), 50);
    else res.end();
    return;
  }
  const text = typeof step.body === "string" ? step.body : JSON.stringify(step.body ?? {});
  const type = typeof step.body === "string" ? "text/plain" : "application/json";
  res.writeHead(step.status, { "content-type": type, ...step.headers });
  res.end(text);
}
