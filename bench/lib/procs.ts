// Child processes for the benchmarks: the Petrel backend server, the Node gateway, `wrangler dev`
// (real workerd) and the instant fake upstream. Each runs in its own process group on 127.0.0.1 with
// a port picked by the OS; stop() ends the whole group (SIGTERM, then SIGKILL after a grace period),
// and stopAll() runs on exit, so nothing outlives a benchmark.
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { wranglerDevEnv } from "../../scripts/wrangler-dev-env.js";

export interface Proc {
  url: string;
  pid: number;
  args: string[];
  log(): string;
  stop(): Promise<void>;
}

export const root = fileURLToPath(new URL("../../", import.meta.url));
const running = new Set<Proc>();

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

function stopper(child: ChildProcess): () => Promise<void> {
  return async () => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    const kill = (signal: NodeJS.Signals) => {
      try {
        process.kill(-(child.pid as number), signal);
      } catch {
        // already gone
      }
    };
    kill("SIGTERM");
    const timer = setTimeout(() => kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
  };
}

interface SpawnOptions {
  args: string[];
  env?: Record<string, string>;
  /** Resolves the URL: from a line the process prints, or a fixed URL polled until it answers. */
  ready: { line: RegExp } | { poll: string; path?: string };
  timeoutMs?: number;
}

/** Spawns `node <args>` (the Node 22 running this script) and waits until it is ready. */
export async function startNode(options: SpawnOptions): Promise<Proc> {
  const child = spawn(process.execPath, options.args, {
    cwd: root,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...wranglerDevEnv, ...options.env },
  });
  // Keep only the head of the output: request logs would otherwise grow without bound.
  let output = "";
  const keep = (d: Buffer) => {
    if (output.length < 64_000) output += d.toString();
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const proc: Proc = {
    url: "",
    pid: child.pid ?? 0,
    args: options.args,
    log: () => output,
    stop: stopper(child),
  };
  running.add(proc);
  const deadline = Date.now() + (options.timeoutMs ?? 180_000);
  try {
    proc.url = await waitReady(options.ready, child, () => output, deadline);
  } catch (err) {
    await proc.stop();
    throw err;
  }
  return proc;
}

async function waitReady(
  ready: SpawnOptions["ready"],
  child: ChildProcess,
  log: () => string,
  deadline: number,
): Promise<string> {
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`process exited (${child.exitCode}):\n${log()}`);
    if ("line" in ready) {
      const match = ready.line.exec(log());
      if (match) return match[1] as string;
    } else {
      try {
        const res = await fetch(`${ready.poll}${ready.path ?? "/health"}`, {
          signal: AbortSignal.timeout(5_000),
        });
        await res.arrayBuffer();
        if (res.status === 200) return ready.poll;
      } catch {
        // not listening yet
      }
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`not ready in time:\n${log()}`);
}

const tsx = ["--import", "tsx"];

export function startBackend(model: string, flags: string[] = []): Promise<Proc> {
  return startNode({
    args: [...tsx, "service/src/entry/node-backend.ts", "--model", model, "--port", "0", ...flags],
    ready: { line: /listening on (http:\/\/\S+)/ },
  });
}

export function startNodeGateway(config: unknown, env: Record<string, string> = {}): Promise<Proc> {
  return startNode({
    args: [...tsx, "service/src/entry/node-gateway.ts", "--port", "0"],
    env: { PETREL_BACKENDS: JSON.stringify(config), PETREL_OPEN_ACCESS: "1", ...env },
    ready: { line: /listening on (http:\/\/\S+)/ },
  });
}

/** `wrangler dev` (real workerd) of Petrel's Worker, or of another Worker's `config` (wrangler.toml). */
export async function startWrangler(
  vars: Record<string, string>,
  config?: string,
  extraArgs: string[] = [],
): Promise<Proc> {
  const [port, inspector] = [await freePort(), await freePort()];
  const bin = "node_modules/wrangler/bin/wrangler.js";
  const args = [
    bin,
    "dev",
    ...(config ? ["--config", config] : []),
    "--ip",
    "127.0.0.1",
    "--port",
    String(port),
    "--inspector-port",
    String(inspector),
  ];
  // --log-level warn: wrangler's own "POST /v1/... 200 OK" line costs every request a loopback HTTP
  // call from workerd to wrangler's Node process (~3 ms of Node CPU per request here); production has
  // no such line. Workers' own console output is not read by the benchmarks.
  args.push("--show-interactive-dev-session=false", "--log-level", "warn", ...extraArgs);
  for (const [key, value] of Object.entries(vars)) args.push("--var", `${key}:${value}`);
  return startNode({ args, ready: { poll: `http://127.0.0.1:${port}` } });
}

export function startFakeUpstream(): Promise<Proc> {
  return startNode({
    args: [...tsx, "bench/lib/fake-openai.ts"],
    ready: { line: /listening on (http:\/\/\S+)/ },
  });
}

/** The gateway benchmark's floor: node:http + fetch, forwarding to `upstream` (bench/lib/minimal-proxy.ts). */
export function startMinimalProxy(upstream: string): Promise<Proc> {
  return startNode({
    args: [...tsx, "bench/lib/minimal-proxy.ts", "--upstream", upstream, "--port", "0"],
    ready: { line: /listening on (http:\/\/\S+)/ },
  });
}

/**
 * Portkey's gateway as published (`@portkey-ai/gateway`, its Node build), headless (no log console
 * UI). It takes the upstream from each request's headers (`portkeyHeaders`), not from a config.
 */
export async function startPortkey(): Promise<Proc> {
  const port = await freePort();
  return startNode({
    args: ["node_modules/@portkey-ai/gateway/build/start-server.js", `--port=${port}`, "--headless"],
    // no /health; "/" answers once it listens
    ready: { poll: `http://127.0.0.1:${port}`, path: "/" },
  });
}

/** What a client sends Portkey to reach an OpenAI-compatible upstream at `upstream`. */
export const portkeyHeaders = (upstream: string): Record<string, string> => ({
  "x-portkey-provider": "openai",
  "x-portkey-custom-host": `${upstream}/v1`,
});

// A benchmark stopped from outside (run.mjs's time limit, Ctrl-C) still takes its servers with it.
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    stopAll().finally(() => process.exit(1));
  });
}

export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((p) => p.stop()));
  running.clear();
}
