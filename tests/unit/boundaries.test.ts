// The rooms and doors of STYLE.md, enforced: scans every import in service/src and sdk/src and fails
// when a folder imports what its row forbids. Adding a door means changing STYLE.md and this table.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const ROOMS = ["engine", "ort", "gateway", "http", "entry", "generated"] as const;
type Room = (typeof ROOMS)[number];

interface Rule {
  /** Bare package prefixes this room must not import. */
  packages: RegExp[];
  /** Other rooms it must not import; "engine-internals" = engine files other than engine/index. */
  rooms: (Room | "engine-internals")[];
  /** Source patterns that are forbidden (runtime globals). */
  source?: RegExp[];
}

const HONO = /^(hono|@hono\/)/;
const ORT = /^onnxruntime-/;
const RULES: Record<Room, Rule> = {
  engine: { packages: [HONO, ORT], rooms: ["ort", "gateway", "http", "entry"] },
  ort: { packages: [HONO], rooms: ["gateway", "http", "entry", "engine-internals"] },
  gateway: { packages: [HONO, ORT], rooms: ["ort", "http", "entry", "engine-internals"] },
  http: {
    packages: [ORT, /^node:/],
    rooms: ["engine", "ort", "entry"],
    source: [/\bprocess\.(env|argv|exit|cwd)\b/, /\b(Deno|Bun)\./, /\bglobalThis\.process\b/],
  },
  entry: { packages: [], rooms: [] },
  generated: { packages: [/./], rooms: ["engine", "ort", "gateway", "http", "entry"] },
};

const IMPORT =
  /(?:^|[\s;])(?:import|export)\s+(?:type\s+)?(?:[^'"]*?\sfrom\s+)?["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;

function importsOf(source: string): string[] {
  const withoutComments = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  return [...withoutComments.matchAll(IMPORT)].map((m) => (m[1] ?? m[2]) as string);
}

function roomOf(path: string): Room | undefined {
  const rel = relative(join(root, "service/src"), path).split(/[\\/]/);
  return rel.length > 1 && (ROOMS as readonly string[]).includes(rel[0] as string)
    ? (rel[0] as Room)
    : undefined;
}

/** Violations in one file's source, given where it lives. */
function violations(file: string, source: string): string[] {
  const room = roomOf(file);
  if (!room) return [];
  const rule = RULES[room];
  const found: string[] = [];
  for (const spec of importsOf(source)) {
    if (!spec.startsWith(".")) {
      if (rule.packages.some((p) => p.test(spec))) found.push(`${room} imports package ${spec}`);
      continue;
    }
    const target = resolve(dirname(file), spec);
    const targetRoom = roomOf(target);
    if (!targetRoom || targetRoom === room) continue;
    if (rule.rooms.includes(targetRoom)) found.push(`${room} imports ${targetRoom} (${spec})`);
    const engineIndex = /engine[\\/]index(\.[jt]s)?$/.test(target);
    if (targetRoom === "engine" && rule.rooms.includes("engine-internals") && !engineIndex) {
      found.push(`${room} imports engine internals (${spec}); use engine/index`);
    }
  }
  for (const pattern of rule.source ?? []) {
    if (pattern.test(source)) found.push(`${room} uses a runtime global (${pattern.source})`);
  }
  return found;
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return walk(path);
    return /\.(ts|mts|js|mjs)$/.test(entry.name) && !entry.name.endsWith(".d.ts") ? [path] : [];
  });
}

describe("rooms and doors (STYLE.md)", () => {
  it("catches a crossed door (self-test of the scanner)", () => {
    const http = join(root, "service/src/http/x.ts");
    expect(violations(http, 'import * as ort from "onnxruntime-web";')).toHaveLength(1);
    expect(violations(http, 'import { createEngine } from "../engine/index.js";')).toHaveLength(1);
    expect(violations(http, "const key = process.env.KEY;")).toHaveLength(1);
    const gateway = join(root, "service/src/gateway/x.ts");
    expect(violations(gateway, 'import type { X } from "../engine/decoder.js";')).toHaveLength(1);
    expect(violations(gateway, 'import type { Engine } from "../engine/index.js";')).toEqual([]);
    const engine = join(root, "service/src/engine/x.ts");
    expect(violations(engine, 'export { Hono } from "hono";\nimport("../http/app.js")')).toHaveLength(2);
    expect(violations(join(root, "service/src/generated/x.ts"), 'import "yaml";')).toHaveLength(1);
  });

  it("no file in service/src crosses a door", () => {
    const problems = walk(join(root, "service/src")).flatMap((file) =>
      violations(file, readFileSync(file, "utf8")).map((v) => `${relative(root, file)}: ${v}`),
    );
    expect(problems).toEqual([]);
  });

  it("entries stay small (≤ ~80 lines)", () => {
    const long = walk(join(root, "service/src/entry"))
      .map((file) => [relative(root, file), readFileSync(file, "utf8").split("\n").length] as const)
      .filter(([, lines]) => lines > 90);
    expect(long).toEqual([]);
  });

  it("the SDK never imports the service", () => {
    const offenders = walk(join(root, "sdk/src")).filter((file) =>
      importsOf(readFileSync(file, "utf8")).some((spec) => /service[\\/]/.test(spec)),
    );
    expect(offenders.map((f) => relative(root, f))).toEqual([]);
  });
});
