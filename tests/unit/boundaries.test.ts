// The rooms and doors of STYLE.md, enforced by one scanner over every import in service/src and
// sdk/src. Each folder of service/src is a room with the rooms it may import (an allow-list, so a new
// folder must be placed here before anything passes) and the packages it must not touch; the room
// graph must stay acyclic, and the Worker's import closure must stay free of Node built-ins.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const src = join(root, "service/src");

const HONO = /^(hono|@hono\/)/;
const ORT = /^onnxruntime-/;
const XGRAMMAR = /^@mlc-ai\//;
const NODE = /^node:/;
const ANY = /./;

interface Rule {
  /** Rooms this room may import ("engine" from gateway means engine/index only, see ENGINE_INDEX_ONLY). */
  rooms: string[];
  /** Bare package specifiers this room must not import. */
  packages: RegExp[];
  /** Runtime globals this room must not use. */
  source?: RegExp[];
}

const RUNTIME_GLOBALS = [/\bprocess\.(env|argv|exit|cwd)\b/, /\b(Deno|Bun)\./, /\bglobalThis\.process\b/];

/** Bottom to top; a room may only import rooms listed for it. */
const RULES: Record<string, Rule> = {
  generated: { rooms: [], packages: [ANY] },
  protocol: { rooms: ["generated"], packages: [ANY] },
  engine: { rooms: [], packages: [HONO, ORT, XGRAMMAR, NODE] },
  ort: { rooms: ["engine"], packages: [HONO, XGRAMMAR] },
  // XGrammar's wasm behind the engine's GrammarFactory, one file per runtime, as ort/ is for sessions
  grammar: { rooms: ["engine"], packages: [HONO, ORT] },
  gateway: { rooms: ["engine", "protocol", "generated"], packages: [HONO, ORT, XGRAMMAR, NODE] },
  security: { rooms: ["gateway", "protocol", "generated"], packages: [ORT, NODE], source: RUNTIME_GLOBALS },
  // The Responses API's translation and store: no HTTP, no runtime (SQLite comes in through an interface).
  responses: {
    rooms: ["gateway", "protocol", "generated"],
    packages: [HONO, ORT, XGRAMMAR, NODE],
    source: RUNTIME_GLOBALS,
  },
  http: {
    rooms: ["gateway", "security", "responses", "protocol", "generated"],
    packages: [ORT, NODE],
    source: RUNTIME_GLOBALS,
  },
  server: {
    rooms: ["engine", "ort", "grammar", "gateway", "security", "responses", "http", "protocol", "generated"],
    packages: [],
  },
  entry: {
    rooms: [
      "engine",
      "ort",
      "grammar",
      "gateway",
      "security",
      "responses",
      "http",
      "server",
      "protocol",
      "generated",
    ],
    packages: [],
  },
};
/** Rooms that may reach the engine only through engine/index. */
const ENGINE_INDEX_ONLY = new Set(["ort", "grammar", "gateway", "server"]);

const IMPORT =
  /(?:^|[\s;])(?:import|export)\s+(?:type\s+)?(?:[^'"]*?\sfrom\s+)?["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;

const withoutComments = (source: string) =>
  source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");

function importsOf(source: string): string[] {
  return [...withoutComments(source).matchAll(IMPORT)].map((m) => (m[1] ?? m[2]) as string);
}

function roomOf(path: string): string | undefined {
  const rel = relative(src, path).split(/[\\/]/);
  return rel.length > 1 && !rel[0]?.startsWith("..") ? rel[0] : undefined;
}

/** Relative imports resolved to files (".js" specifiers point at ".ts" sources). */
function resolveImport(file: string, spec: string): string {
  const target = resolve(dirname(file), spec);
  const candidates = [target, target.replace(/\.js$/, ".ts"), `${target}.ts`, join(target, "index.ts")];
  return candidates.find((c) => existsSync(c) && statSync(c).isFile()) ?? target;
}

/** Violations in one file's source, given where it lives. */
function violations(file: string, source: string): string[] {
  const room = roomOf(file);
  if (!room) return [];
  const rule = RULES[room];
  if (!rule) return [`${room} is not a room of STYLE.md (add it to RULES)`];
  const found: string[] = [];
  for (const spec of importsOf(source)) {
    if (!spec.startsWith(".")) {
      if (rule.packages.some((p) => p.test(spec))) found.push(`${room} imports package ${spec}`);
      continue;
    }
    const target = resolve(dirname(file), spec);
    const targetRoom = roomOf(target);
    if (!targetRoom || targetRoom === room) continue;
    if (!rule.rooms.includes(targetRoom)) found.push(`${room} imports ${targetRoom} (${spec})`);
    else if (
      targetRoom === "engine" &&
      ENGINE_INDEX_ONLY.has(room) &&
      !/engine[\\/]index(\.[jt]s)?$/.test(target)
    )
      found.push(`${room} imports engine internals (${spec}); use engine/index`);
  }
  for (const pattern of rule.source ?? []) {
    if (pattern.test(withoutComments(source)))
      found.push(`${room} uses a runtime global (${pattern.source})`);
  }
  return found;
}

/** Room → rooms it imports, from the files' actual imports. */
function roomGraph(files: { path: string; source: string }[]): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const { path, source } of files) {
    const room = roomOf(path);
    if (!room) continue;
    const edges = graph.get(room) ?? new Set<string>();
    graph.set(room, edges);
    for (const spec of importsOf(source).filter((s) => s.startsWith("."))) {
      const target = roomOf(resolve(dirname(path), spec));
      if (target && target !== room) edges.add(target);
    }
  }
  return graph;
}

/** Every cycle's rooms in order (depth-first; one report per back edge). */
function cycles(graph: Map<string, Set<string>>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, "open" | "done">();
  const visit = (room: string, path: string[]) => {
    state.set(room, "open");
    for (const next of graph.get(room) ?? []) {
      if (state.get(next) === "open") found.push([...path.slice(path.indexOf(next)), room, next]);
      else if (!state.has(next)) visit(next, [...path, room]);
    }
    state.set(room, "done");
  };
  for (const room of graph.keys()) if (!state.has(room)) visit(room, []);
  return found;
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return walk(path);
    return /\.(ts|mts|js|mjs)$/.test(entry.name) && !entry.name.endsWith(".d.ts") ? [path] : [];
  });
}

/** Files reachable from `entry` through relative imports. */
function closure(entry: string): string[] {
  const seen = new Set<string>();
  const stack = [entry];
  while (stack.length > 0) {
    const file = stack.pop() as string;
    if (seen.has(file) || !/\.[mc]?[jt]s$/.test(file) || !existsSync(file)) continue;
    seen.add(file);
    for (const spec of importsOf(readFileSync(file, "utf8"))) {
      if (spec.startsWith(".")) stack.push(resolveImport(file, spec));
    }
  }
  return [...seen];
}

const sources = () => walk(src).map((path) => ({ path, source: readFileSync(path, "utf8") }));

describe("rooms and doors (STYLE.md)", () => {
  it("catches a crossed door (self-test of the scanner)", () => {
    const http = join(src, "http/x.ts");
    expect(violations(http, 'import * as ort from "onnxruntime-web";')).toHaveLength(1);
    expect(violations(http, 'import { createEngine } from "../engine/index.js";')).toHaveLength(1);
    expect(violations(http, "const key = process.env.KEY;")).toHaveLength(1);
    const gateway = join(src, "gateway/x.ts");
    expect(violations(gateway, 'import type { X } from "../engine/decoder.js";')).toHaveLength(1);
    expect(violations(gateway, 'import type { Engine } from "../engine/index.js";')).toEqual([]);
    const engine = join(src, "engine/x.ts");
    expect(violations(engine, 'export { Hono } from "hono";\nimport("../http/app.js")')).toHaveLength(2);
    expect(violations(join(src, "generated/x.ts"), 'import "yaml";')).toHaveLength(1);
    const security = join(src, "security/x.ts");
    expect(violations(security, 'import { ApiError } from "../http/errors.js";')).toHaveLength(1);
    expect(violations(security, 'import { readFileSync } from "node:fs";')).toHaveLength(1);
    expect(
      violations(join(src, "protocol/x.ts"), 'import type { Gateway } from "../gateway/types.js";'),
    ).toHaveLength(1);
    expect(violations(join(src, "newroom/x.ts"), "export const x = 1;")).toHaveLength(1);
  });

  it("finds a cycle between rooms (self-test)", () => {
    const graph = new Map([
      ["http", new Set(["security", "gateway"])],
      ["security", new Set(["http"])],
      ["gateway", new Set<string>()],
    ]);
    expect(cycles(graph)).toEqual([["http", "security", "http"]]);
    expect(cycles(new Map([["http", new Set(["gateway"])]]))).toEqual([]);
  });

  it("every folder of service/src is a room, and nothing lies loose at its top", () => {
    const entries = readdirSync(src, { withFileTypes: true });
    expect(entries.filter((e) => !e.isDirectory()).map((e) => e.name)).toEqual([]);
    expect(entries.map((e) => e.name).sort()).toEqual(Object.keys(RULES).sort());
  });

  it("no file in service/src crosses a door", () => {
    const problems = sources().flatMap(({ path, source }) =>
      violations(path, source).map((v) => `${relative(root, path)}: ${v}`),
    );
    expect(problems).toEqual([]);
  });

  it("no cycle between rooms", () => {
    expect(cycles(roomGraph(sources()))).toEqual([]);
  });

  it("the Worker's import closure has no Node built-in and no Node-only room", () => {
    const files = closure(join(src, "entry/worker.ts"));
    expect(files.length).toBeGreaterThan(10);
    const nodeOnly = files.filter((f) => roomOf(f) === "server").map((f) => relative(root, f));
    const builtins = files.flatMap((f) =>
      importsOf(readFileSync(f, "utf8"))
        .filter((spec) => NODE.test(spec))
        .map((spec) => `${relative(root, f)} → ${spec}`),
    );
    expect([...nodeOnly, ...builtins]).toEqual([]);
  });

  it("entries stay small (≤ ~80 lines)", () => {
    const long = walk(join(src, "entry"))
      .map((file) => [relative(root, file), readFileSync(file, "utf8").split("\n").length] as const)
      .filter(([, lines]) => lines > 80);
    expect(long).toEqual([]);
  });

  it("the SDK never imports the service", () => {
    const offenders = walk(join(root, "sdk/src")).filter((file) =>
      importsOf(readFileSync(file, "utf8")).some((spec) => /service[\\/]/.test(spec)),
    );
    expect(offenders.map((f) => relative(root, f))).toEqual([]);
  });
});
