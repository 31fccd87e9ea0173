// Starts a real `wrangler dev` (real workerd) on free 127.0.0.1 ports and waits until GET /health
// answers 200. One per test file, reused by its tests; stop() kills the whole process group so no
// workerd outlives the suite.
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { wranglerDevEnv } from "../../scripts/wrangler-dev-env.js";

export interface RunningWrangler {
  url: string;
  /** Everything wrangler printed so far (for failure messages). */
  log(): string;
  stop(): Promise<void>;
}

export interface WranglerOptions {
  /** wrangler.toml to use; the repository's by default. */
  config?: string;
  /** `--var KEY:VALUE` bindings. */
  vars?: Record<string, string>;
  /** Give up after this long (isolate start with ORT takes seconds on a loaded 2-core box). */
  readyTimeoutMs?: number;
  /** Where Durable Object / KV state lives (`--persist-to`); wrangler's default folder otherwise. */
  persistTo?: string;
}

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

const root = fileURLToPath(new URL("../../", import.meta.url));
const wranglerBin = fileURLToPath(new URL("../../node_modules/wrangler/bin/wrangler.js", import.meta.url));

async function waitForHealth(url: string, child: ChildProcess, log: () => string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited (${child.exitCode}):\n${log()}`);
    try {
      const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(5_000) });
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`wrangler dev not healthy after ${timeoutMs} ms:\n${log()}`);
}

/**
 * freePort() closes the port it found before wrangler binds it, so with suites starting servers side
 * by side another process can take it first; wrangler then exits with "Address already in use" and
 * is started again on other ports.
 */
export async function startWrangler(options: WranglerOptions = {}): Promise<RunningWrangler> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options);
    } catch (err) {
      if (attempt >= 3 || !String((err as Error)?.message).includes("Address already in use")) throw err;
    }
  }
}

async function startOnce(options: WranglerOptions): Promise<RunningWrangler> {
  const [port, inspectorPort] = [await freePort(), await freePort()];
  const args = [wranglerBin, "dev", "--ip", "127.0.0.1", "--port", String(port)];
  args.push("--inspector-port", String(inspectorPort), "--show-interactive-dev-session=false");
  if (options.config) args.push("--config", options.config);
  if (options.persistTo) args.push("--persist-to", options.persistTo);
  for (const [key, value] of Object.entries(options.vars ?? {})) args.push("--var", `${key}:${value}`);
  // process.execPath: the Node 22 that runs vitest, not whatever `node` is first on PATH.
  const child = spawn(process.execPath, args, {
    cwd: root,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...wranglerDevEnv, CLOUDFLARE_CF_FETCH_ENABLED: "false" },
  });
  const output: string[] = [];
  child.stdout?.on("data", (d: Buffer) => output.push(d.toString()));
  child.stderr?.on("data", (d: Buffer) => output.push(d.toString()));
  const log = () => output.join("");
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode !== null || child.pid === undefined) return;
    const pid = child.pid;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    process.kill(-pid, "SIGTERM");
    // workerd normally exits on SIGTERM; never let a stuck one outlive the suite
    const kill = setTimeout(() => {
      try {
        process.kill(-pid, "SIGKILL");
      } catch {}
    }, 5_000);
    await exited;
    clearTimeout(kill);
  };
  try {
    await waitForHealth(url, child, log, options.readyTimeoutMs ?? 150_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, log, stop };
}
