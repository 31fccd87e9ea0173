// A size budget for what a browser or Worker actually ships: each SDK entry bundled with its
// dependencies, minified and gzipped. `platform: neutral` also fails the build on any Node built-in.
// Bundles the source (esbuild strips the types), so it never races other suites writing sdk/dist.
import { resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import { expect, it } from "vitest";

const root = resolve(import.meta.dirname, "../..");
const BUDGETS = [
  // The client, streams, Responses and structured output (`parse()`), with eventsource-parser.
  { entry: "sdk/src/index.ts", gzipBytes: 8 * 1024 },
  // `@petrel/sdk/tools`: the tool loop, with the stream code it builds on (shared with the main
  // entry in an app that imports both).
  { entry: "sdk/src/tools.ts", gzipBytes: 6 * 1024 },
  // `@petrel/sdk/json-schema`: @cfworker/json-schema and the wrapper, kept out of the main entry.
  { entry: "sdk/src/json-schema.ts", gzipBytes: 7 * 1024 },
];

it.each(BUDGETS)(
  "$entry bundled and minified stays under $gzipBytes bytes gzipped, no Node built-ins",
  async ({ entry, gzipBytes }) => {
    const result = await build({
      entryPoints: [resolve(root, entry)],
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
    console.log(JSON.stringify({ entry, bundleBytes: code.byteLength, bundleGzipBytes: gzipped }));
    expect(code.byteLength).toBeGreaterThan(1000);
    expect(gzipped).toBeLessThanOrEqual(gzipBytes);
  },
);
