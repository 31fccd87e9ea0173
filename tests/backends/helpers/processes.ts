// Real processes for end-to-end tests: Petrel backend servers (service/src/entry/node-backend.ts) and the
// Node gateway (service/src/entry/node-gateway.ts), on 127.0.0.1 with ports the OS picks (--port 0),
// started with the same Node 22 that runs vitest.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ChatCompletionRequest } from "../../../service/src/protocol/wire.js";

const root = new URL("../../../", import.meta.url).pathname;

export interface Proc {
  url: string;
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): void;
}

function startEntry(
  entry: string,
  args: string[],
  marker: RegExp,
  env: Record<string, string> = {},
): Promise<Proc> {
  const child = spawn(process.execPath, ["--import", "tsx", entry, ...args], {
    cwd: root,
    env: { ...process.env, NODE_OPTIONS: "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${entry} did not start:\n${output}`)), 60_000);
    const onData = (data: Buffer) => {
      output += data.toString();
      const match = marker.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve({
          url: match[1],
          child,
          output: () => output,
          exited,
          kill: (s = "SIGKILL") => child.kill(s),
        });
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${entry} exited with ${code}:\n${output}`));
    });
  });
}

export const startBackend = (extra: string[] = []) =>
  startEntry(
    "service/src/entry/node-backend.ts",
    ["--model", "models/tiny-random", "--port", "0", "--threads", "1", ...extra],
    /listening on (http:\/\/[\d.:]+)/,
  );

export interface NodeGatewayOptions {
  /** More flags, e.g. `--responses-db <file>`; by default stored responses go to a fresh temp file. */
  args?: string[];
  /** More environment, e.g. PETREL_KEYS_FILE. */
  env?: Record<string, string>;
}

export function startNodeGateway(config: unknown, options: NodeGatewayOptions = {}): Promise<Proc> {
  const dir = mkdtempSync(join(tmpdir(), "petrel-gw-"));
  const file = join(dir, "backends.json");
  writeFileSync(file, JSON.stringify(config));
  const args = options.args ?? ["--responses-db", join(dir, "responses.sqlite")];
  return startEntry(
    "service/src/entry/node-gateway.ts",
    ["--config", file, "--port", "0", ...args],
    /listening on (http:\/\/[\d.:]+)/,
    options.env,
  );
}

export async function stopAll(procs: Proc[]): Promise<void> {
  for (const p of procs.splice(0)) {
    if (p.child.exitCode === null && p.child.signalCode === null) p.kill("SIGKILL");
    await p.exited.catch(() => {});
  }
}

export interface LoadJson {
  queued: number;
  active: number;
  capacity: number;
  requests: number;
  draining: boolean;
}

export async function loadOf(url: string): Promise<{ status: number; body: LoadJson }> {
  const res = await fetch(`${url}/v1/load`);
  return { status: res.status, body: (await res.json()) as LoadJson };
}

/** Polls /v1/load until nothing is active or queued. */
export async function untilIdle(url: string): Promise<void> {
  for (;;) {
    const { body } = await loadOf(url);
    if (body.active === 0 && body.queued === 0) return;
  }
}

export interface RecordLine {
  outcome: string;
  stream: boolean;
  completion_tokens: number | null;
}

/** The request records (one JSON line each) a process has printed so far. */
export function recordsOf(proc: Proc): RecordLine[] {
  return proc
    .output()
    .split("\n")
    .slice(0, -1) // the last piece is a line still being written, or empty
    .filter((line) => line.startsWith('{"msg":"request"'))
    .map((line) => JSON.parse(line));
}

/** Waits for the process's request record number `index` (0-based), reading its output as it comes. */
export async function recordAt(proc: Proc, index: number): Promise<RecordLine> {
  for (;;) {
    const record = recordsOf(proc)[index];
    if (record) return record;
    await new Promise((resolve) => proc.child.stdout?.once("data", resolve));
  }
}

/** Polls /v1/load until a request is active. */
export async function untilActive(url: string): Promise<void> {
  while ((await loadOf(url)).body.active === 0) await new Promise((r) => setTimeout(r, 2));
}

/** A long generation on tiny-random: both EOS ids (0, 2) suppressed so it runs to max_tokens. */
export const longChat = (model = "tiny-random", stream = true, maxTokens = 240): ChatCompletionRequest => ({
  model,
  messages: [{ role: "user", content: "hi" }],
  stream,
  max_tokens: maxTokens,
  logit_bias: { "0": -100, "2": -100 },
});

export function postChat(url: string, body: unknown, signal?: AbortSignal): Promise<Response> {
  return fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    signal,
  });
}

/** Reads an SSE response to the end: data payloads, content seen, error event if any. */
export async function readSse(
  res: Response,
): Promise<{ events: string[]; content: string; error?: unknown; done: boolean }> {
  const text = await res.text();
  const events = text.split(/\n\n/).flatMap((e) =>
    e
      .split("\n")
      .filter((l) => l.startsWith("data: "))
      .map((l) => l.slice(6)),
  );
  let content = "";
  let error: unknown;
  for (const data of events) {
    if (data === "[DONE]") continue;
    const obj = JSON.parse(data);
    if (obj.error) error = obj.error;
    for (const c of obj.choices ?? []) content += c.delta?.content ?? "";
  }
  return { events, content, error, done: events.at(-1) === "[DONE]" };
}
