// service/src/security's doors (it is not yet a row in tests/unit/boundaries.test.ts): no onnxruntime,
// no engine/ort/entry; Node built-ins only in node-security.ts, which the index (and so the Worker
// bundle) never pulls in.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const dir = new URL("../../service/src/security/", import.meta.url).pathname;
const IMPORT = /(?:^|[\s;])(?:import|export)\s+(?:type\s+)?(?:[^'"]*?\sfrom\s+)?["']([^"']+)["']/g;
const files = readdirSync(dir).filter((f) => f.endsWith(".ts"));
const importsOf = (file: string) =>
  [...readFileSync(join(dir, file), "utf8").matchAll(IMPORT)].map((m) => m[1] as string);

describe("security module boundaries", () => {
  it("imports no onnxruntime, engine, ort or entry code", () => {
    const bad = files.flatMap((f) =>
      importsOf(f)
        .filter((spec) => /^onnxruntime-|\/(engine|ort|entry)\//.test(spec))
        .map((spec) => `${f} → ${spec}`),
    );
    expect(bad).toEqual([]);
  });

  it("uses Node built-ins only in node-security.ts, which the index does not export", () => {
    const nodeUsers = files.filter((f) => importsOf(f).some((spec) => spec.startsWith("node:")));
    expect(nodeUsers).toEqual(["node-security.ts"]);
    expect(importsOf("index.ts").filter((spec) => spec.includes("node-security"))).toEqual([]);
    const worker = readFileSync(new URL("../../service/src/entry/worker.ts", import.meta.url), "utf8");
    expect(worker).not.toContain("node-security");
  });
});
