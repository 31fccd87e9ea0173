// Security on the real Node gateway process (service/src/entry/node-gateway.ts) in front of a FAKE
// upstream (a slow stream can't be timed on a real engine): keys from PETREL_KEYS_FILE, the in-memory
// limiter under parallel load, usage of a stream the client abandoned, the admin endpoint; and the
// open/closed decision for loopback and other hosts.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nodeSecurity } from "../../service/src/server/node-security.js";
import { type FakeUpstream, startFakeUpstream } from "../backends/helpers/fake-upstream.js";
import { assertOpenAIError, KEYS, SECRETS, sha256Hex } from "./helpers.js";

const N = 3;
const DAVE = "sk-petrel-dave-2c4e6a8b0d2f4a6c8e0b2d4f6a8c0e2d";
const root = new URL("../../", import.meta.url).pathname;
const unlimited = { requestsPerMinute: null, tokensPerMinute: null, concurrent: null };
let fake: FakeUpstream;
let child: ChildProcess;
let url = "";
let output = "";

async function startGateway(env: Record<string, string>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "petrel-sec-"));
  const config = join(dir, "backends.json");
  writeFileSync(config, JSON.stringify({ models: { m: { backends: [{ url: fake.url, kind: "petrel" }] } } }));
  child = spawn(
    process.execPath,
    ["--import", "tsx", "service/src/entry/node-gateway.ts", "--config", config, "--port", "0"],
    { cwd: root, env: { ...process.env, NODE_OPTIONS: "", ...env }, stdio: ["ignore", "pipe", "pipe"] },
  );
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start:\n${output}`)), 60_000);
    const onData = (data: Buffer) => {
      output += data.toString();
      const match = /listening on (http:\/\/[\d.:]+)/.exec(output);
      if (match?.[1]) {
        url = match[1];
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
  });
}

const chat = (key: string, body: Record<string, unknown> = {}, init: RequestInit = {}) =>
  fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }], ...body }),
    ...init,
  });
const usageOf = async (id: string) =>
  (await fetch(`${url}/admin/usage/${id}`, { headers: { authorization: `Bearer ${KEYS.admin}` } })).json();

beforeAll(async () => {
  fake = await startFakeUpstream([]);
  const dir = mkdtempSync(join(tmpdir(), "petrel-keys-"));
  const keysFile = join(dir, "keys.json");
  const keys = [
    { id: "alice", sha256: sha256Hex(KEYS.alice), limits: { ...unlimited, requestsPerMinute: N } },
    { id: "bob", sha256: sha256Hex(KEYS.bob), models: ["other"], limits: unlimited },
    { id: "dave", sha256: sha256Hex(DAVE), limits: unlimited },
  ];
  writeFileSync(keysFile, JSON.stringify({ keys }));
  await startGateway({ PETREL_KEYS_FILE: keysFile, PETREL_ADMIN_KEY_SHA256: sha256Hex(KEYS.admin) });
});
afterAll(async () => {
  child?.kill("SIGKILL");
  await fake?.close();
});

describe("security on the Node gateway (fake upstream)", () => {
  it("401 without or with a wrong key, 403 for a model the key may not use", async () => {
    const none = await fetch(`${url}/v1/chat/completions`, { method: "POST", body: "{}" });
    expect(none.status).toBe(401);
    assertOpenAIError(await none.json(), "no key");
    expect((await chat(`${KEYS.alice}0`)).status).toBe(401);
    expect((await chat(KEYS.bob)).status).toBe(403);
  });

  it(`exactly ${N} of ${N + 10} parallel requests pass the in-memory limiter; usage counts them`, async () => {
    const responses = await Promise.all(Array.from({ length: N + 10 }, () => chat(KEYS.alice)));
    expect(responses.filter((r) => r.status === 200)).toHaveLength(N);
    const limited = responses.filter((r) => r.status === 429);
    expect(limited).toHaveLength(10);
    for (const r of limited) expect(r.headers.get("retry-after")).toMatch(/^\d+$/);
    await Promise.all(responses.map((r) => r.text()));
    expect(await usageOf("alice")).toMatchObject({ requests: N, rejected_requests: 10 });
  });

  it("counts tokens streamed before the client went away", async () => {
    fake.script.push({ kind: "ok", tokens: Array.from({ length: 100 }, (_, i) => `w${i} `), delayMs: 20 });
    const controller = new AbortController();
    const response = await chat(DAVE, { stream: true }, { signal: controller.signal });
    expect(response.status).toBe(200);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    let text = "";
    while ((text.match(/"content":"w/g) ?? []).length < 3)
      text += new TextDecoder().decode((await reader.read()).value);
    controller.abort();
    await expect.poll(async () => (await usageOf("dave")).completion_tokens).toBeGreaterThanOrEqual(3);
    const usage = await usageOf("dave");
    expect(usage.completion_tokens).toBeLessThan(100);
    expect(usage).toMatchObject({ requests: 1, prompt_tokens: expect.any(Number) });
  });

  it("never prints a key", () => {
    for (const secret of [...SECRETS, DAVE]) expect(output).not.toContain(secret);
  });
});

describe("Node open/closed decision", () => {
  it("without keys: open (loudly) on loopback; elsewhere refuses to start unless --insecure-open or PETREL_OPEN_ACCESS=1", async () => {
    const warnings: string[] = [];
    const original = console.warn;
    console.warn = (m: string) => void warnings.push(m);
    try {
      expect((await nodeSecurity({}, "127.0.0.1")).guard.mode).toBe("open");
      expect(warnings.join("\n")).toMatch(/PETREL OPEN MODE/);
      await expect(nodeSecurity({}, "0.0.0.0")).rejects.toThrow(/--insecure-open/);
      expect((await nodeSecurity({}, "0.0.0.0", { insecureOpen: true })).guard.mode).toBe("open");
      expect((await nodeSecurity({ PETREL_OPEN_ACCESS: "0" }, "0.0.0.0")).guard.mode).toBe("closed");
      expect((await nodeSecurity({ PETREL_OPEN_ACCESS: "0" }, "127.0.0.1")).guard.mode).toBe("closed");
      expect((await nodeSecurity({ PETREL_OPEN_ACCESS: "1" }, "10.1.2.3")).guard.mode).toBe("open");
      expect((await nodeSecurity({ PETREL_API_KEYS: KEYS.alice }, "0.0.0.0")).guard.mode).toBe("keys");
    } finally {
      console.warn = original;
    }
  });
});
