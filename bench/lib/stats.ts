// Small statistics and provenance helpers shared by the benchmarks: medians and nearest-rank
// percentiles (no interpolation, so a p99 is always a latency that really happened), and the
// machine/version block every bench/results/<name>.json carries.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { cpus, loadavg, release, totalmem } from "node:os";

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** Nearest-rank percentile, p in (0, 100]. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * s.length));
  return s[rank - 1] as number;
}

export const round = (x: number, digits = 2) => +x.toFixed(digits);

function packageVersion(name: string): string | undefined {
  try {
    const url = new URL(`../../node_modules/${name}/package.json`, import.meta.url);
    return JSON.parse(readFileSync(url, "utf8")).version as string;
  } catch {
    return undefined;
  }
}

/** The commit measured, and whether tracked files differed from it (the numbers are then not its). */
function gitState(): { gitCommit?: string; gitDirty?: boolean } {
  try {
    const git = (...args: string[]) => execFileSync("git", args, { encoding: "utf8" }).trim();
    return {
      gitCommit: git("rev-parse", "--short", "HEAD"),
      gitDirty: git("status", "--porcelain", "--untracked-files=no") !== "",
    };
  } catch {
    return {};
  }
}

/**
 * Where and with what the numbers were taken. The machines are shared, so the load average at the
 * start and end of a benchmark says how contended its numbers are.
 */
export function machineInfo(extraPackages: string[] = []) {
  const cpu = cpus();
  const packages = ["onnxruntime-node", "onnxruntime-web", "hono", "@hono/node-server", ...extraPackages];
  return {
    cpuModel: cpu[0]?.model,
    cpus: cpu.length,
    memoryGiB: round(totalmem() / 2 ** 30, 1),
    os: `${process.platform} ${release()}`,
    node: process.version,
    loadAverage1mAtStart: round(loadavg()[0] ?? 0),
    ...gitState(),
    versions: Object.fromEntries(packages.map((p) => [p, packageVersion(p)])),
  };
}

/**
 * User+system CPU time a process has used so far, from /proc/<pid>/stat (Linux; 10 ms ticks). On a
 * shared machine wall time also measures the neighbours; a server's own CPU time per unit of work
 * does not.
 */
export function processCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ").pop()?.split(" ") ?? [];
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/**
 * CPU time of a process and all its descendants (e.g. wrangler's Node process, its workerd and
 * esbuild), from /proc. Children that exited are counted only once reaped (cutime/cstime).
 */
export function treeCpuMs(pid: number): number {
  const parents = new Map<number, number>();
  const cpu = new Map<number, number>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const fields = readFileSync(`/proc/${name}/stat`, "utf8").split(") ").pop()?.split(" ") ?? [];
      parents.set(Number(name), Number(fields[1]));
      cpu.set(Number(name), (Number(fields[11]) + Number(fields[12])) * 10);
    } catch {
      // exited meanwhile
    }
  }
  let total = 0;
  for (const [p, ms] of cpu) {
    for (let q: number | undefined = p; q !== undefined && q > 1; q = parents.get(q)) {
      if (q === pid) {
        total += ms;
        break;
      }
    }
  }
  return total;
}

export const loadNow = () => round(loadavg()[0] ?? 0);

/** Rotate `items` by `rep` so no system always runs first (on a warmer or cooler machine). */
export function rotate<T>(items: readonly T[], rep: number): T[] {
  return items.map((_, i) => items[(i + rep) % items.length] as T);
}
