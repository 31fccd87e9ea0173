// A size budget for what a browser or Worker actually ships: the SDK bundled with its one
// dependency, minified and gzipped. `platform: neutral` also fails the build on any Node built-in.
// Bundles the source (esbuild strips the types), so it never races other suites writing sdk/dist.
import { resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import { expect, it } from "vitest";

const root = resolve(import.meta.dirname, "../..");
const BUDGET_GZIP_BYTES = 8 * 1024;

it(`the bundled, minified SDK stays under ${BUDGET_GZIP_BYTES} bytes gzipped and needs no Node built-ins`, async () => {
  const result = await build({
    entryPoints: [resolve(root, "sdk/src/index.ts")],
    bundle: true,
    minify: true,
    format: "esm",
    platform: "neutral",
    mainFields: ["module", "main"],
    write: false,
    logLevel: "silent",
  });
  const code = result.outputFiles[0]?.contents ?? new Uint8Array();
  const gzipped = gzipSync(code, { level: 9 }).byteLength;
  console.log(JSON.stringify({ sdkBundleBytes: code.byteLength, sdkBundleGzipBytes: gzipped }));
  expect(code.byteLength).toBeGreaterThan(1000);
  expect(gzipped).toBeLessThanOrEqual(BUDGET_GZIP_BYTES);
});
