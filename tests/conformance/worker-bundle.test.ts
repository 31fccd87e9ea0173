// The Worker as Cloudflare would receive it (`wrangler deploy --dry-run`): budgets that keep it
// deployable. Workers Paid accepts 10 MB compressed; the ORT wasm is most of it, so the budgets are
// on what we control: the JS bundle, one wasm build only (not WebGPU/JSEP), and a small model.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../", import.meta.url));
const wrangler = fileURLToPath(new URL("../../node_modules/wrangler/bin/wrangler.js", import.meta.url));
const MiB = 1024 * 1024;
let outdir: string;
let output: string;
let files: Map<string, number>;

beforeAll(() => {
  outdir = mkdtempSync(join(tmpdir(), "petrel-bundle-"));
  const run = spawnSync(process.execPath, [wrangler, "deploy", "--dry-run", "--outdir", outdir], {
    cwd: root,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "1" },
    encoding: "utf8",
    timeout: 170_000,
  });
  output = `${run.stdout}${run.stderr}`;
  if (run.status !== 0) throw new Error(`wrangler deploy --dry-run failed:\n${output}`);
  files = new Map(readdirSync(outdir).map((name) => [name, statSync(join(outdir, name)).size]));
});
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

const sizeOf = (suffix: string) =>
  [...files].filter(([name]) => name.endsWith(suffix)).map(([, size]) => size);

describe("the Worker bundle", () => {
  it("stays under Workers' 10 MB compressed upload limit", () => {
    const gzipKiB = Number(/gzip: ([\d.]+) KiB/.exec(output)?.[1]);
    expect(gzipKiB).toBeGreaterThan(0);
    expect(gzipKiB * 1024).toBeLessThan(10 * 1000 * 1000);
  });

  it("bundles one ORT wasm build (the wasm-only entry, not WebGPU/JSEP), XGrammar's wasm and a JS bundle under 1 MiB", () => {
    const wasm = [...files.keys()].filter((name) => name.endsWith(".wasm"));
    expect(wasm).toHaveLength(2);
    expect(wasm.filter((name) => /ort-wasm-simd-threaded\.wasm$/.test(name))).toHaveLength(1);
    expect(wasm.filter((name) => /xgrammar\.wasm$/.test(name))).toHaveLength(1);
    expect(sizeOf("worker.js")[0]).toBeLessThan(MiB);
  });

  it("ships the model within the in-worker budget (≤ 25 MB, int8)", () => {
    const models = sizeOf(".onnx");
    expect(models).toHaveLength(1);
    expect(models[0]).toBeLessThanOrEqual(25 * 1000 * 1000);
    expect([...files.keys()].some((name) => name.endsWith("model_new_kv_quantized.onnx"))).toBe(true);
  });
});
