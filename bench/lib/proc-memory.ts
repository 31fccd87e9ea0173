// Resident memory of whole process groups, from /proc (Linux): every benchmark server runs as the
// leader of its own group (bench/lib/procs.ts spawns them detached), so the group holds the server
// and whatever it started — `wrangler dev` is a Node process plus workerd.
import { readdirSync, readFileSync } from "node:fs";

export interface TreeProcess {
  /** `<role>:<command name>`, e.g. `worker:workerd`. */
  label: string;
  pid: number;
}

export interface RssSample {
  /** Milliseconds since the soak started. */
  t: number;
  /** Resident bytes per process label; a process that is gone is absent. */
  rss: Record<string, number>;
}

function stat(pid: number): { comm: string; pgrp: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    const comm = text.slice(text.indexOf("(") + 1, text.lastIndexOf(")"));
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return { comm, pgrp: Number(fields[2]) };
  } catch {
    return undefined; // exited meanwhile
  }
}

/** Every process in the group led by `leader`, labelled by role and command name. */
export function processTree(role: string, leader: number): TreeProcess[] {
  const found: TreeProcess[] = [];
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const s = stat(pid);
    if (s?.pgrp !== leader) continue;
    const base = `${role}:${s.comm}`;
    const twins = found.filter((p) => p.label === base || p.label.startsWith(`${base}#`)).length;
    found.push({ label: twins === 0 ? base : `${base}#${twins + 1}`, pid });
  }
  return found;
}

function rssBytes(pid: number): number | undefined {
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return kb === undefined ? undefined : Number(kb) * 1024;
  } catch {
    return undefined;
  }
}

export function sampleRss(trees: TreeProcess[][], t: number): RssSample {
  const rss: Record<string, number> = {};
  for (const p of trees.flat()) {
    const bytes = rssBytes(p.pid);
    if (bytes !== undefined) rss[p.label] = bytes;
  }
  return { t, rss };
}
