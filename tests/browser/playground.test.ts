// The playground page in real Chromium, served by the real Worker (wrangler dev → workerd) with the
// bundled model: load it, pick the model, send a message, watch tokens stream in, press Stop mid-answer,
// continue the conversation from the keyboard, and run the "copy as curl" command it shows.
// Screenshots (desktop and phone) go to test-artifacts/ for a human to look at.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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

const generationConfig = JSON.parse(
  readFileSync(resolve(root, "models/petrel-mini/generation_config.json"), "utf8"),
) as { eos_token_id: number | number[] };
const eosIds = [generationConfig.eos_token_id].flat();

let service: RunningWrangler;
let browser: Browser;

beforeAll(async () => {
  await run(process.execPath, [resolve(root, "scripts/build-playground.mjs")]);
  await mkdir(artifacts, { recursive: true });
  [service, browser] = await Promise.all([
    startWrangler({ vars: { PETREL_OPEN_ACCESS: "1" } }),
    chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_FLAGS }),
  ]);
});
afterAll(async () => {
  await browser?.close();
  await service?.stop();
});

/** The Worker's JSON request record for `requestId`, from wrangler's output (undefined until written). */
function serverRecord(requestId: string | null): Record<string, unknown> | undefined {
  const line = service
    .log()
    .split("\n")
    .find((l) => l.includes('"msg":"request"') && requestId !== null && l.includes(`"${requestId}"`));
  return line ? JSON.parse(line.slice(line.indexOf("{"))) : undefined;
}

const lastAssistant = (page: Page) => page.locator('li.message[data-role="assistant"]').last();

/** Text lengths of the last answer, sampled while it streams; stops sampling when `enough` are seen. */
async function watchStreaming(page: Page, enough: number): Promise<number[]> {
  const lengths: number[] = [];
  for (let i = 0; i < 2_000 && lengths.length < enough; i++) {
    const { state, length } = await lastAssistant(page).evaluate((li) => ({
      state: (li as HTMLElement).dataset.state,
      length: li.querySelector(".text")?.textContent?.length ?? 0,
    }));
    if (state !== "streaming") break;
    if (length > 0 && length !== lengths.at(-1)) lengths.push(length);
    await page.waitForTimeout(15);
  }
  return lengths;
}

async function openPage(page: Page) {
  const response = await page.goto(service.url);
  expect(response?.status()).toBe(200);
  expect(response?.headers()["content-security-policy"]).toContain("default-src 'self'");
  await expect.poll(() => page.locator("#model option").count(), { timeout: 30_000 }).toBeGreaterThan(0);
  expect(await page.locator("#model").inputValue()).toBe("petrel-mini");
}

describe("playground page (real Chromium, real wrangler dev)", () => {
  it("streams an answer, stops it mid-answer, keeps the conversation, and shows TTFT and tokens/s", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on("pageerror", (err) => pageErrors.push(err.message));
    const chatResponses: Record<string, string>[] = [];
    page.on("response", (r) => {
      if (r.url().endsWith("/v1/chat/completions")) chatResponses.push(r.headers());
    });
    await openPage(page);
    // A slow network (~60 KB/s down): the 200-token answer (~47 KB of SSE) takes ~0.8 s to arrive, so
    // Stop lands mid-answer. The server must still be generating too, or its record says "ok": it makes
    // the answer in ~0.5 s whatever the client reads (the socket buffers hold it all), so Stop follows
    // the first tokens closely — at ~6 KB/s it came after ~100 of the 200 and lost the race under load.
    const cdp = await context.newCDPSession(page);
    await cdp.send("Network.enable");
    await cdp.send("Network.emulateNetworkConditions", {
      offline: false,
      latency: 20,
      downloadThroughput: 60_000,
      uploadThroughput: -1,
    });

    // Whatever model is shipped, this answer must outlast the Stop click: the test adds a logit_bias
    // that forbids the model's EOS ids to the page's first request (the response streams untouched).
    await page.route("**/v1/chat/completions", async (route) => {
      const body = JSON.parse(route.request().postData() ?? "{}");
      if (body.max_tokens === 200) body.logit_bias = Object.fromEntries(eosIds.map((id) => [id, -100]));
      await route.continue({ postData: JSON.stringify(body) });
    });
    await page.getByLabel("System prompt").fill("You are a terse assistant.");
    await page.getByLabel("Max tokens").fill("200");
    await page.getByLabel("Seed").fill("7");
    await page.getByLabel("Message").fill("Tell me a long story about a petrel.");
    await page.getByRole("button", { name: "Send" }).click();

    const lengths = await watchStreaming(page, 4);
    expect(lengths.length, "saw the answer grow at least 4 times").toBeGreaterThanOrEqual(4);
    expect(lengths).toEqual([...lengths].sort((a, b) => a - b));
    await page.getByRole("button", { name: "Stop" }).click();

    const answer = lastAssistant(page);
    await expect.poll(() => answer.getAttribute("data-state")).toBe("stopped");
    const stoppedText = (await answer.locator(".text").textContent()) ?? "";
    expect(stoppedText.length).toBeGreaterThan(0);
    await page.waitForTimeout(500);
    expect(await answer.locator(".text").textContent(), "no tokens after Stop").toBe(stoppedText);
    expect(await answer.locator('[data-stat="end"] strong').textContent()).toBe("stopped");
    expect(await answer.locator('[data-stat="ttft"] strong').textContent()).toMatch(/^\d+ ms$/);
    expect(await answer.locator('[data-stat="tps"] strong').textContent()).toMatch(/^\d+(\.\d)? tok\/s$/);
    expect(await page.getByRole("button", { name: "Send" }).isEnabled()).toBe(true);
    expect(await page.getByRole("button", { name: "Stop" }).isDisabled()).toBe(true);
    expect(chatResponses[0]?.["server-timing"]).toMatch(/queue;dur=/);
    // The server saw the hang-up: its record for this request says cancelled, before 200 tokens.
    const requestId = await answer.getAttribute("data-request-id");
    expect(requestId).toMatch(/^req_/);
    await expect
      .poll(() => serverRecord(requestId), { timeout: 10_000 })
      .toMatchObject({ outcome: "cancelled", stream: true });
    expect(serverRecord(requestId)?.completion_tokens).toBeLessThan(200);
    await page.screenshot({ path: resolve(artifacts, "playground-stopped.png"), fullPage: true });

    // Keyboard only, full speed: Enter sends the follow-up; the request carries the whole conversation.
    await cdp.send("Network.emulateNetworkConditions", {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: -1,
    });
    await page.getByLabel("Max tokens").fill("12");
    const sent = page.waitForRequest((r) => r.url().endsWith("/v1/chat/completions"));
    await page.getByLabel("Message").fill("And then?");
    await page.getByLabel("Message").press("Enter");
    const body = JSON.parse((await sent).postData() ?? "{}");
    expect(body.messages.map((m: { role: string }) => m.role)).toEqual([
      "system",
      "user",
      "assistant",
      "user",
    ]);
    expect(body.messages[2].content).toBe(stoppedText);
    expect(body).toMatchObject({ model: "petrel-mini", max_tokens: 12, seed: 7, stream: true });
    await expect
      .poll(() => lastAssistant(page).getAttribute("data-state"), { timeout: 30_000 })
      .toMatch(/done/);
    const second = lastAssistant(page);
    expect(await second.locator('[data-stat="tokens"] strong').textContent()).toMatch(/^\d+$/);
    expect(Number(await second.locator('[data-stat="tokens"] strong').textContent())).toBeLessThanOrEqual(12);
    expect(await page.locator("li.message").count()).toBe(4);
    await page.screenshot({ path: resolve(artifacts, "playground-desktop.png"), fullPage: true });
    expect(pageErrors).toEqual([]);
    await context.close();
  });

  it("shows the current request as curl and SDK code, and the curl command works", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    const page = await context.newPage();
    await openPage(page);
    await page.getByLabel("Max tokens").fill("5");
    await page.getByLabel("Message").fill("It's a test");
    await page.getByRole("button", { name: "Copy as curl / SDK code" }).click();
    const dialog = page.getByRole("dialog", { name: "This request as code" });
    await expect.poll(() => dialog.isVisible()).toBe(true);
    const curl = (await page.locator("#curl-code").textContent()) ?? "";
    const sdk = (await page.locator("#sdk-code").textContent()) ?? "";
    expect(curl).toContain(`${service.url}/v1/chat/completions`);
    expect(sdk).toContain('import { Petrel } from "@petrel/sdk"');
    expect(sdk).toContain('model: "petrel-mini"');
    expect(sdk).toContain("max_tokens: 5");
    await page.screenshot({ path: resolve(artifacts, "playground-code.png") });
    // The command, run by a shell, streams a real answer (the quote in "It's" survives the quoting).
    const { stdout } = await run("bash", ["-c", curl], { timeout: 60_000 });
    expect(stdout).toContain("data: [DONE]");
    expect(stdout).toMatch(/"completion_tokens":[1-5]\b/);
    await page.keyboard.press("Escape");
    await expect.poll(() => dialog.isVisible()).toBe(false);
    await context.close();
  });

  it("is usable on a phone (dark scheme): labelled controls, no sideways scrolling, Escape stops", async () => {
    const context = await browser.newContext({
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
      colorScheme: "dark",
    });
    const page = await context.newPage();
    await openPage(page);
    const unlabelled = await page.evaluate(() =>
      [...document.querySelectorAll("input, select, textarea, button")]
        .filter((e) => {
          const labels = (e as HTMLInputElement).labels;
          return (!labels || labels.length === 0) && !e.getAttribute("aria-label") && !e.textContent?.trim();
        })
        .map((e) => e.outerHTML),
    );
    expect(unlabelled).toEqual([]);
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    expect(await page.locator("#settings-panel").getAttribute("open")).toBeNull();
    // Settings start folded on a phone; open them to shorten the answer, then fold them again.
    await page.getByText("Settings", { exact: true }).tap();
    await page.getByLabel("Max tokens").fill("40");
    await page.getByText("Settings", { exact: true }).tap();
    await page.getByLabel("Message").fill("Hello from a phone");
    await page.getByRole("button", { name: "Send" }).tap();
    await expect.poll(() => lastAssistant(page).getAttribute("data-state"), { timeout: 30_000 }).toBe("done");
    // Escape stops the next answer wherever it is (before its first byte or mid-stream). Whatever
    // model is shipped, that answer must outlast the key press: its EOS ids are forbidden, so it runs
    // to max tokens (the response streams untouched).
    await page.route("**/v1/chat/completions", async (route) => {
      const body = JSON.parse(route.request().postData() ?? "{}");
      body.logit_bias = Object.fromEntries(eosIds.map((id) => [id, -100]));
      await route.continue({ postData: JSON.stringify(body) });
    });
    await page.getByLabel("Message").fill("Another one");
    await page.getByLabel("Message").press("Enter");
    await page.keyboard.press("Escape");
    await expect.poll(() => lastAssistant(page).getAttribute("data-state")).toBe("stopped");
    expect(await page.locator("li.message").count()).toBe(4);
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await page.screenshot({ path: resolve(artifacts, "playground-phone.png"), fullPage: true });
    await context.close();
  });
});
