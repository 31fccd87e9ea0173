// The load generator: closed-loop clients over node:http keep-alive connections (one socket per
// client), each sending its share of a fixed number of requests back to back. Latency is measured
// per request from send to the full body (non-stream) or to the first chunk with content (stream,
// "TTFT"); a stream's usage is read from its include_usage chunk. Bounded by request count and a
// per-request timeout, so it always ends.
import { Agent, request } from "node:http";

export interface Sample {
  status: number;
  /** send → whole body (non-stream) or → first content chunk (stream) */
  firstMs: number;
  /** send → end of body */
  totalMs: number;
  completionTokens?: number;
  /** the response's Server-Timing durations (queue, ttft, total), where it sent them */
  serverTiming: Record<string, number>;
}

function serverTiming(header: string | string[] | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of String(header ?? "").matchAll(/([\w-]+)(?:;[^,]*?)?;dur=([\d.]+)/g))
    out[m[1] as string] = Number(m[2]);
  return out;
}

export function chatOnce(
  agent: Agent,
  url: string,
  body: string,
  stream: boolean,
  timeoutMs = 120_000,
  extraHeaders: Record<string, string> = {},
): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const req = request(
      `${url}/v1/chat/completions`,
      {
        method: "POST",
        agent,
        headers: {
          ...extraHeaders,
          "content-type": "application/json",
          "content-length": Buffer.byteLength(body),
        },
        timeout: timeoutMs,
      },
      (res) => {
        let text = "";
        let firstMs: number | undefined;
        res.setEncoding("utf8");
        res.on("data", (d: string) => {
          text += d;
          // the first content delta; chunks before it (role, keep-alive comments) don't count
          if (stream && firstMs === undefined && /"content":"[^"]/.test(text))
            firstMs = performance.now() - start;
        });
        res.on("end", () => {
          const totalMs = performance.now() - start;
          const usage = /"completion_tokens":(\d+)/.exec(text);
          resolve({
            status: res.statusCode ?? 0,
            firstMs: stream ? (firstMs ?? totalMs) : totalMs,
            totalMs,
            completionTokens: usage ? Number(usage[1]) : undefined,
            serverTiming: serverTiming(res.headers["server-timing"]),
          });
        });
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`request timed out after ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end(body);
  });
}

export interface LoadResult {
  samples: Sample[];
  wallMs: number;
  errors: number;
  /** what the errors were: an HTTP status or an exception message, with counts */
  errorKinds: Record<string, number>;
}

/** `connections` clients share `requests` requests; `makeBody(i)` builds request i. */
export async function runLoad(options: {
  url: string;
  connections: number;
  requests: number;
  stream: boolean;
  makeBody: (i: number) => string;
  /** sent with every request (a peer's routing headers, an API key) */
  headers?: Record<string, string>;
}): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections });
  const samples: Sample[] = [];
  let next = 0;
  let errors = 0;
  const errorKinds: Record<string, number> = {};
  const fail = (kind: string) => {
    errors++;
    errorKinds[kind] = (errorKinds[kind] ?? 0) + 1;
  };
  const client = async () => {
    while (next < options.requests) {
      const i = next++;
      try {
        const body = options.makeBody(i);
        const s = await chatOnce(agent, options.url, body, options.stream, 120_000, options.headers);
        if (s.status === 200) samples.push(s);
        else fail(`HTTP ${s.status}`);
      } catch (err) {
        fail((err as Error).message);
      }
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: options.connections }, client));
  const wallMs = performance.now() - start;
  agent.destroy();
  return { samples, wallMs, errors, errorKinds };
}
