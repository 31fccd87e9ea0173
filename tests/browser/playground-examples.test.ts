// The playground's structured-output and tools examples in real Chromium, served by the real Worker
// (wrangler dev → workerd). Models: the bundled petrel-mini (the in-worker engine, constrained
// decoding) and two routed to FAKE vLLM upstreams on 127.0.0.1 (tests/helpers/fake-vllm-tools.ts; no real tool-calling model runs here):
// one that calls the page's tools and answers valid JSON, one that calls a tool nobody defined and
// answers JSON that breaks the schema. The page must run the tools, check the JSON, and show each
// failure as a readable error without breaking.
import { execFile } from "node:child_process";
import { mkdir } from "node:fs/promises";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeVllm, startFakeVllm } from "../helpers/fake-vllm-tools.js";
import { type RunningWrangler, startWrangler } from "../helpers/wrangler.js";

const run = promisify(execFile);
const root = resolve(import.meta.dirname, "../..");
const artifacts = resolve(root, "test-artifacts");
const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
];
const PETREL = { name: "European storm petrel", wingspan_cm: 38, habitat: "open ocean", facts: ["Tiny"] };
const FINAL = "1234 * 5678 = 7006652, and an albatross spans about 310 cm.";

let good: FakeVllm;
let broken: FakeVllm;
let service: RunningWrangler;
let browser: Browser;

beforeAll(async () => {
  await run(process.execPath, [resolve(root, "scripts/build-playground.mjs")]);
  await mkdir(artifacts, { recursive: true });
  good = await startFakeVllm({
    calls: [
      { name: "calculator", arguments: '{"expression": "1234 * 5678"}' },
      { name: "seabird_facts", arguments: '{"species": "albatross"}' },
    ],
    json: JSON.stringify(PETREL),
    final: FINAL,
  });
  broken = await startFakeVllm({
    calls: [{ name: "teleport", arguments: '{"to": "Oslo"}' }],
    json: '{"name": "petrel", "wingspan_cm": "wide", "habitat": "open ocean", "facts": []}',
  });
  const upstream = (url: string) => ({ backends: [{ kind: "vllm", url, upstreamModel: "Qwen/Qwen2.5-7B" }] });
  const backends = {
    models: {
      "petrel-mini": { backends: [{ kind: "embedded" }] },
      "qwen-tools": upstream(good.url),
      "qwen-broken": upstream(broken.url),
    },
  };
  [service, browser] = await Promise.all([
    startWrangler({ vars: { PETREL_OPEN_ACCESS: "1", PETREL_BACKENDS: JSON.stringify(backends) } }),
    chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_FLAGS }),
  ]);
});
afterAll(async () => {
  await browser?.close();
  await service?.stop();
  await good?.close();
  await broken?.close();
});

async function openPage(model: string, example: "structured" | "tools") {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  page.on("pageerror", (err) => errors.push(err.message));
  expect((await page.goto(service.url))?.status()).toBe(200);
  await expect.poll(() => page.locator("#model option").count(), { timeout: 30_000 }).toBe(3);
  await page.getByLabel("Model").selectOption(model);
  await page.getByLabel("Example").selectOption(example);
  return { page, errors };
}

const bubbles = (page: Page, role: string) => page.locator(`li.message[data-role="${role}"]`);
const send = (page: Page) => page.getByRole("button", { name: "Send" }).click();
const idle = (page: Page) =>
  expect.poll(() => page.getByRole("button", { name: "Send" }).isEnabled(), { timeout: 30_000 }).toBe(true);

describe("playground examples (real Chromium, real wrangler dev, FAKE vLLM upstreams)", () => {
  it("tools: the page runs calculator and seabird_facts, sends the results, shows the answer", async () => {
    const { page, errors } = await openPage("qwen-tools", "tools");
    // Choosing the example offers its prompt and says which tools the page runs.
    expect(await page.getByLabel("Message").inputValue()).toContain("1234 * 5678");
    expect(await page.locator("#example-help").textContent()).toContain("calculator");
    await send(page);
    await expect.poll(() => bubbles(page, "assistant").last().getAttribute("data-state")).toBe("done");
    const tools = await bubbles(page, "tool").locator(".text").allTextContents();
    expect(tools).toEqual([
      'calculator({"expression":"1234 * 5678"}) → {"value":7006652}',
      'seabird_facts({"species":"albatross"}) → {"species":"albatross","wingspan_cm":310,"weight_g":9000,"range":"Southern Ocean"}',
    ]);
    expect(await bubbles(page, "assistant").last().locator(".text").textContent()).toBe(FINAL);
    expect(await page.locator('[data-stat="rounds"] strong').textContent()).toBe("2");
    // What the upstream got back: both results, answering the calls by id.
    const second = good.requests.at(-1) as { messages: { role: string; content?: string }[] };
    expect(second.messages.map((m) => m.role)).toEqual(["user", "assistant", "tool", "tool"]);
    expect(second.messages[2]?.content).toBe('{"value":7006652}');
    await page.screenshot({ path: resolve(artifacts, "playground-tools.png"), fullPage: true });

    // The code dialog shows the same request with runTools and the tools' schemas.
    await page.getByRole("button", { name: "Copy as curl / SDK code" }).click();
    const sdk = (await page.locator("#sdk-code").textContent()) ?? "";
    expect(sdk).toContain('import { defineTool, runTools } from "@petrel/sdk/tools";');
    expect(sdk).toContain("const seabird_facts = defineTool(");
    expect(sdk).toContain("tools: [calculator, seabird_facts]");
    expect(await page.locator("#curl-code").textContent()).toContain('"name": "seabird_facts"');
    expect(errors).toEqual([]);
    await page.close();
  });

  it("Stop during a tool loop: the request under way is dropped, the page says stopped", async () => {
    const { page, errors } = await openPage("qwen-tools", "tools");
    // The test holds the second round (the one carrying the tool results) until Stop is pressed.
    let release: (() => void) | undefined;
    await page.route("**/v1/chat/completions", async (route) => {
      const body = JSON.parse(route.request().postData() ?? "{}");
      if (body.messages.at(-1)?.role !== "tool") return route.continue();
      await new Promise<void>((resolve) => {
        release = resolve;
      });
      await route.abort().catch(() => {}); // the page already hung up
    });
    await send(page);
    await expect.poll(() => release !== undefined, { timeout: 30_000 }).toBe(true);
    expect(await bubbles(page, "tool").count()).toBe(2);
    await page.getByRole("button", { name: "Stop" }).click();
    const last = bubbles(page, "assistant").last();
    await expect.poll(() => last.getAttribute("data-state")).toBe("stopped");
    expect(await last.locator(".text").textContent()).toBe("(stopped)");
    expect(await page.locator("#status").textContent()).toBe("Stopped");
    expect(await page.getByRole("button", { name: "Send" }).isEnabled()).toBe(true);
    release?.();
    expect(errors).toEqual([]);
    await page.close();
  });

  it("structured output: the answer is parsed, checked against the edited schema and shown as JSON", async () => {
    const { page, errors } = await openPage("qwen-tools", "structured");
    expect(await page.getByLabel("JSON schema").isVisible()).toBe(true);
    await send(page);
    const answer = bubbles(page, "assistant").last();
    await expect.poll(() => answer.getAttribute("data-state")).toBe("done");
    expect(JSON.parse((await answer.locator(".text").textContent()) ?? "")).toEqual(PETREL);
    expect(await answer.locator('[data-stat="schema"] strong').textContent()).toBe("valid");
    const sent = good.requests.at(-1) as { response_format: { json_schema: { schema: unknown } } };
    expect(sent.response_format.json_schema.schema).toMatchObject({
      required: ["name", "wingspan_cm", "habitat", "facts"],
    });
    await page.screenshot({ path: resolve(artifacts, "playground-structured.png"), fullPage: true });

    // A schema that is not JSON is refused in the page, before anything is sent.
    const before = good.requests.length;
    await page.getByLabel("JSON schema").fill("{ not json");
    await page.getByLabel("Message").fill("Again");
    await send(page);
    await expect.poll(() => page.locator("#status").textContent()).toMatch(/not valid JSON/);
    expect(good.requests.length).toBe(before);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("a model that breaks the schema or calls an unknown tool: a readable error, the page keeps working", async () => {
    const { page, errors } = await openPage("qwen-broken", "structured");
    await send(page);
    await idle(page);
    const error = bubbles(page, "error").last().locator(".text");
    expect(await error.textContent()).toMatch(/invalid against the schema: wingspan_cm: /);
    expect(await error.textContent()).toContain(
      'The model answered: {"name": "petrel", "wingspan_cm": "wide"',
    );
    await page.getByLabel("Example").selectOption("tools");
    await page.getByLabel("Message").fill("Go somewhere");
    await send(page);
    await idle(page);
    expect(await bubbles(page, "error").last().locator(".text").textContent()).toContain(
      "The model's call to 'teleport' names a tool that was not given",
    );
    expect(errors).toEqual([]);
    await page.close();
  });

  it("the built-in engine (petrel-mini in workerd): the structured answer is valid against the schema", async () => {
    const { page, errors } = await openPage("petrel-mini", "structured");
    await page.getByLabel("Seed").fill("7");
    await page.getByLabel("Max tokens").fill("160"); // leaves room for the prompt in petrel-mini's 512-token context
    await send(page);
    await idle(page);
    expect(await bubbles(page, "error").allTextContents()).toEqual([]);
    const answer = bubbles(page, "assistant").last();
    expect(await answer.getAttribute("data-state")).toBe("done");
    const value = JSON.parse((await answer.locator(".text").textContent()) ?? "");
    expect(Object.keys(value).sort()).toEqual(["facts", "habitat", "name", "wingspan_cm"]);
    expect(Number.isInteger(value.wingspan_cm)).toBe(true);
    expect(["open ocean", "coast", "inland"]).toContain(value.habitat);
    // Tools on the engine: whatever the small model chooses (calls or text), the loop ends: in an
    // answer, or, when a calculator call does not evaluate (petrel-mini may put words in the
    // expression), in the calculator's own error, shown on that call and in one error bubble.
    // A fresh conversation and fewer tokens: the rendered tools take much of the 256.
    await page.getByRole("button", { name: "Clear conversation" }).click();
    await page.getByLabel("Example").selectOption("tools");
    await page.getByLabel("Max tokens").fill("64");
    await page.getByLabel("Message").fill("What is 12 * 34?");
    await send(page);
    await idle(page);
    const failed = await bubbles(page, "error").locator(".text").allTextContents();
    const states = await bubbles(page, "tool").evaluateAll((items) =>
      items.map((i) => i.getAttribute("data-state")),
    );
    if (failed.length === 0) {
      expect(await bubbles(page, "assistant").count()).toBe(1);
      expect(await bubbles(page, "assistant").getAttribute("data-state")).toBe("done");
      for (const state of states) expect(state).toBe("done");
    } else {
      expect(failed).toHaveLength(1);
      expect(failed[0]).toMatch(/^(unexpected '.*'|missing \))$/);
      expect(states.at(-1)).toBe("failed");
      expect(await bubbles(page, "tool").last().locator(".text").textContent()).toMatch(
        /^calculator\(.*\) → (unexpected '.*'|missing \))$/,
      );
      for (const state of states.slice(0, -1)) expect(state).toBe("done");
    }
    await page.screenshot({ path: resolve(artifacts, "playground-engine.png"), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });

  it("a backend that refuses tools (FAKE 400 from page.route): the error names the param and what to do", async () => {
    const { page, errors } = await openPage("qwen-tools", "tools");
    await page.route("**/v1/chat/completions", (route) =>
      route.fulfill({
        status: 400,
        contentType: "application/json",
        body: JSON.stringify({
          error: {
            message: "tools are not supported",
            type: "invalid_request_error",
            param: "tools",
            code: null,
          },
        }),
      }),
    );
    await send(page);
    await idle(page);
    const text = (await bubbles(page, "error").last().locator(".text").textContent()) ?? "";
    expect(text).toContain("400 tools are not supported");
    expect(text).toContain("Parameter: tools");
    expect(text).toContain("pick a model whose backend supports tools and JSON output");
    expect(await page.locator("#status").textContent()).toBe("Request failed");
    expect(await page.getByLabel("Message").inputValue()).toContain("1234 * 5678"); // kept to retry
    expect(errors).toEqual([]);
    await page.close();
  });
});
