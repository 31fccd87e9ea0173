// Helpers for the reliability suites: a client that vanishes mid-stream (its TCP socket destroyed,
// as a crashed or killed client would leave it), request records read back from a process's log,
// and the admin usage report.
import { spawn } from "node:child_process";
import { connect } from "node:net";

export interface DropOptions {
  url: string;
  key?: string;
  body: unknown;
  requestId: string;
  /** Content chunks to read before the socket is destroyed. */
  afterContentChunks?: number;
  /** Chat completions by default; `/v1/responses` counts output_text deltas as content. */
  path?: "/v1/chat/completions" | "/v1/responses";
}

const CONTENT = {
  "/v1/chat/completions": /"content":"[^"]/g,
  "/v1/responses": /"type":"response\.output_text\.delta"/g,
};

/** Streams a request over a raw socket and destroys the socket after the first content chunk(s). */
export function dropMidStream(options: DropOptions) {
  const { url, key, body, requestId, afterContentChunks = 1, path = "/v1/chat/completions" } = options;
  const { hostname, port } = new URL(url);
  const payload = JSON.stringify(body);
  const head = [
    `POST ${path} HTTP/1.1`,
    `host: ${hostname}:${port}`,
    "content-type: application/json",
    `content-length: ${Buffer.byteLength(payload)}`,
    `x-request-id: ${requestId}`,
    ...(key ? [`authorization: Bearer ${key}`] : []),
  ];
  return new Promise<{ status: string; contentChunks: number; text: string }>((resolve, reject) => {
    const socket = connect(Number(port), hostname, () =>
      socket.write(`${head.join("\r\n")}\r\n\r\n${payload}`),
    );
    let text = "";
    socket.on("data", (data) => {
      text += data.toString();
      const contentChunks = (text.match(CONTENT[path]) ?? []).length;
      if (contentChunks >= afterContentChunks) {
        socket.destroy();
        resolve({ status: text.slice(9, 12), contentChunks, text });
      }
    });
    socket.on("error", reject);
    socket.on("close", () =>
      reject(new Error(`stream ended before ${afterContentChunks} content chunks:\n${text}`)),
    );
  });
}

export interface RequestLogRecord {
  request_id: string;
  status: number;
  outcome: string;
  backend: string | null;
  prompt_tokens: number | null;
  completion_tokens: number | null;
}

/** The JSON request records (one line each) a process printed, by request id. */
export function requestRecords(output: string): Map<string, RequestLogRecord> {
  const records = new Map<string, RequestLogRecord>();
  for (const line of output.split("\n")) {
    const start = line.indexOf('{"msg":"request"');
    if (start < 0) continue;
    try {
      const record = JSON.parse(line.slice(start)) as RequestLogRecord;
      records.set(record.request_id, record);
    } catch {
      // a line cut by the terminal; not ours to judge
    }
  }
  return records;
}

export interface KeyUsage {
  requests: number;
  rejected_requests: number;
  prompt_tokens: number;
  completion_tokens: number;
  in_flight: number;
}

export async function usageOf(url: string, adminKey: string, keyId: string): Promise<KeyUsage> {
  const response = await fetch(`${url}/admin/usage/${keyId}`, {
    headers: { authorization: `Bearer ${adminKey}` },
  });
  if (response.status !== 200) throw new Error(`usage ${keyId}: ${response.status} ${await response.text()}`);
  return (await response.json()) as KeyUsage;
}

export function chatAs(url: string, key: string | undefined, body: unknown, init: RequestInit = {}) {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (key) headers.authorization = `Bearer ${key}`;
  return fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers,
    body: JSON.stringify(body),
    ...init,
  });
}

export interface Started {
  url: string;
  output(): string;
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

const root = new URL("../../", import.meta.url).pathname;

/**
 * Runs a Node entry (tsx) with its own environment; resolves with its URL once it prints
 * "listening on", or rejects with its exit code and output when it stops first.
 */
export function startEntry(
  entry: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<Started> {
  const child = spawn(process.execPath, ["--import", "tsx", entry, ...args], {
    cwd: root,
    env: { ...process.env, NODE_OPTIONS: "", PETREL_REQUEST_LOG: "on", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await exited;
  };
  return new Promise((resolve, reject) => {
    const onData = (data: Buffer) => {
      output += data.toString();
      const url = /listening on (http:\/\/[^\s)]+)/.exec(output)?.[1];
      if (url) resolve({ url, output: () => output, exited, stop });
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    exited.then((code) => reject(Object.assign(new Error(`${entry} exited with ${code}`), { code, output })));
  });
}
