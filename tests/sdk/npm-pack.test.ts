// `npm pack` of sdk/ installed into a scratch project under /tmp: the tarball holds what the
// exports map promises, type-checks under NodeNext resolution, rejects wrong types, and the example
// runs on Node 22 and on Node 20 (the oldest the package claims) against a scripted fake server.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { badTypes, example, packageJSON, tsconfig } from "./pack-project.js";
import { type ScriptedServer, startScriptedServer } from "./scripted-server.js";
import { chatStream } from "./sse-fixtures.js";

const run = promisify(execFile);
const root = resolve(import.meta.dirname, "../..");
const node22 = process.execPath;
const tsc = join(root, "node_modules/typescript/bin/tsc");
let scratch: string;
let packed: { filename: string; files: { path: string }[] };
let server: ScriptedServer;

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), "petrel-sdk-pack-"));
  await run("npm", ["run", "build"], { cwd: join(root, "sdk") });
  const { stdout } = await run("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", scratch], {
    cwd: join(root, "sdk"),
  });
  packed = JSON.parse(stdout)[0];
  writeFileSync(join(scratch, "package.json"), packageJSON);
  writeFileSync(join(scratch, "tsconfig.json"), tsconfig);
  writeFileSync(join(scratch, "example.ts"), example);
  writeFileSync(join(scratch, "bad-types.ts"), badTypes);
  const install = ["install", "--no-audit", "--no-fund", "--prefer-offline", "--ignore-scripts"];
  await run("npm", [...install, `./${packed.filename}`], { cwd: scratch });
  server = await startScriptedServer();
}, 240_000);

afterAll(async () => {
  await server?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe("npm pack of @petrel/sdk", () => {
  it("the tarball has the built ESM, declarations and README, and no tests", () => {
    const paths = packed.files.map((f) => f.path);
    for (const expected of [
      "package.json",
      "README.md",
      "dist/index.js",
      "dist/index.d.ts",
      "dist/json-schema.js",
      "dist/tools.js",
      "dist/tools.d.ts",
      "dist/json-schema.d.ts",
      "dist/generated/openapi.d.ts",
    ]) {
      expect(paths).toContain(expected);
    }
    expect(paths.some((p) => p.includes("test"))).toBe(false);
    const installed = JSON.parse(
      readFileSync(join(scratch, "node_modules/@petrel/sdk/package.json"), "utf8"),
    );
    expect(installed.dependencies).toEqual({
      "@cfworker/json-schema": expect.any(String),
      "eventsource-parser": expect.any(String),
    });
  });

  it("the runtime code uses no Node built-ins", () => {
    for (const path of packed.files
      .map((f) => f.path)
      .filter((p) => p.startsWith("dist/") && p.endsWith(".js"))) {
      const code = readFileSync(join(scratch, "node_modules/@petrel/sdk", path), "utf8");
      expect(code, path).not.toMatch(/from\s+["']node:|require\(|\bBuffer\b/);
    }
  });

  it("the example type-checks in a NodeNext project", async () => {
    const { stdout } = await run(node22, [tsc, "-p", "tsconfig.json"], { cwd: scratch });
    expect(stdout).toBe("");
  });

  it("wrong types are rejected, one error per bad line", async () => {
    const result = await run(
      node22,
      [
        tsc,
        "--noEmit",
        "--strict",
        "--module",
        "NodeNext",
        "--moduleResolution",
        "NodeNext",
        "--target",
        "ES2022",
        "bad-types.ts",
      ],
      {
        cwd: scratch,
      },
    ).catch((e: { stdout: string; code: number }) => e);
    const output = "stdout" in result ? result.stdout : "";
    const lines = [...output.matchAll(/bad-types\.ts\((\d+),/g)].map((m) => Number(m[1]));
    expect([...new Set(lines)]).toEqual([4, 5, 7, 9, 11]);
    expect(output).toMatch(/"robot"/);
  });

  const runtimes: [string, string][] = [
    ["Node 22", node22],
    ["Node 20", "/usr/bin/node"],
  ];
  for (const [name, binary] of runtimes) {
    it(`the compiled example runs on ${name} against a server`, async () => {
      const completion = {
        id: "c1",
        object: "chat.completion",
        created: 1,
        model: "petrel-mini",
        choices: [
          {
            index: 0,
            message: { role: "assistant", content: "Hi!", refusal: null },
            finish_reason: "stop",
            logprobs: null,
          },
        ],
      };
      server.script([
        { status: 200, headers: { "x-request-id": "req_pack" }, body: completion },
        { status: 200, parts: [chatStream("\n")] },
        {
          status: 200,
          body: {
            object: "list",
            data: [{ id: "petrel-mini", object: "model", created: 1, owned_by: "petrel" }],
          },
        },
        {
          status: 404,
          body: {
            error: { message: "no", type: "invalid_request_error", param: "model", code: "model_not_found" },
          },
        },
      ]);
      const env = { ...process.env, PETREL_BASE_URL: server.baseURL, PETREL_API_KEY: "sk-env" };
      const { stdout } = await run(binary, ["out/example.js"], { cwd: scratch, env });
      expect(JSON.parse(stdout)).toEqual({
        format: {
          type: "json_schema",
          json_schema: {
            name: "forecast",
            schema: { type: "object", properties: { city: { type: "string" } } },
            strict: true,
          },
        },
        issues: [{ message: 'Instance type "number" is invalid. Expected "string".', path: ["city"] }],
        content: "Hi!",
        requestId: "req_pack",
        streamed: "Héllo 日本 🐦!",
        models: ["petrel-mini"],
        notFound: "model_not_found",
      });
      expect(server.seen.map((r) => r.headers.authorization)).toEqual(Array(4).fill("Bearer sk-env"));
    });
  }
});
