// The benchmark harness's own parts, against real processes: statistics, the instant fake upstream
// and the load generator, and the SDK benchmark's fairness check (both clients parse the same
// recorded stream into the same chunks), and bench/README.md's tables against the committed results.
// No timing is asserted.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runLoad } from "../../bench/lib/http-load.js";
import { type Proc, startFakeUpstream, startMinimalProxy, stopAll } from "../../bench/lib/procs.js";
import { median, percentile, rotate } from "../../bench/lib/stats.js";
import { tables } from "../../bench/tables.mjs";

describe("bench statistics", () => {
  it("median, nearest-rank percentile and rotation", () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    const xs = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(xs, 50)).toBe(50);
    expect(percentile(xs, 99)).toBe(99);
    expect(percentile([7], 99)).toBe(7);
    expect(rotate(["a", "b", "c"], 1)).toEqual(["b", "c", "a"]);
    expect(rotate(["a", "b", "c"], 3)).toEqual(["a", "b", "c"]);
  });
});

describe("fake upstream and load generator (real processes)", () => {
  let upstream: Proc;
  beforeAll(async () => {
    upstream = await startFakeUpstream();
  });
  afterAll(stopAll);

  const body = (stream: boolean) => () =>
    JSON.stringify({ model: "x", messages: [{ role: "user", content: "hi" }], stream });

  it("non-stream: every request answered, latency = whole response", async () => {
    const r = await runLoad({
      url: upstream.url,
      connections: 4,
      requests: 30,
      stream: false,
      makeBody: body(false),
    });
    expect(r.errors).toBe(0);
    expect(r.samples).toHaveLength(30);
    for (const s of r.samples) expect(s.firstMs).toBe(s.totalMs);
    expect(r.samples[0]?.completionTokens).toBe(2);
  });

  it("stream: every request answered, usage read from the include_usage chunk", async () => {
    const r = await runLoad({
      url: upstream.url,
      connections: 3,
      requests: 10,
      stream: true,
      makeBody: body(true),
    });
    expect(r.errors).toBe(0);
    expect(r.samples).toHaveLength(10);
    for (const s of r.samples) expect(s.completionTokens).toBe(2);
  });

  it("the minimal proxy passes both kinds of answer through unchanged", async () => {
    const proxy = await startMinimalProxy(upstream.url);
    for (const stream of [false, true]) {
      const r = await runLoad({
        url: proxy.url,
        connections: 2,
        requests: 6,
        stream,
        makeBody: body(stream),
      });
      expect(r.errors).toBe(0);
      for (const s of r.samples) expect(s.completionTokens).toBe(2);
    }
  });

  it("errors are counted by kind, not thrown", async () => {
    const r = await runLoad({
      url: "http://127.0.0.1:9",
      connections: 2,
      requests: 4,
      stream: false,
      makeBody: body(false),
    });
    expect(r.samples).toHaveLength(0);
    expect(r.errors).toBe(4);
    expect(Object.values(r.errorKinds).reduce((a, b) => a + b, 0)).toBe(4);
  });
});

describe("sdk benchmark", () => {
  it("both clients parse the recorded stream into the same chunks and text", () => {
    const out = mkdtempSync(join(tmpdir(), "petrel-bench-"));
    execFileSync(
      process.execPath,
      ["--import", "tsx", "bench/sdk.ts", "--chunks", "300", "--reps", "1", "--out", out],
      {
        stdio: "ignore",
      },
    );
    const report = JSON.parse(readFileSync(join(out, "sdk.json"), "utf8"));
    const parsed = Object.entries(report.parsed as Record<string, string>);
    expect(parsed).toHaveLength(4);
    expect(new Set(parsed.map(([, v]) => v)).size).toBe(1);
    expect(parsed[0]?.[1]).toMatch(/^299 chunks, \d+ chars$/);
    expect(report.rows).toHaveLength(4);
  });
});

describe("bench/README.md", () => {
  // biome pads table cells and separator rows; compare cell contents only
  const cells = (markdown: string) =>
    markdown
      .trim()
      .split("\n")
      .map((line) =>
        line.startsWith("|")
          ? line
              .split("|")
              .map((c) => c.trim().replace(/^-+$/, "---"))
              .join("|")
          : line.trim(),
      );

  it("its Results section is what `npm run bench -- --tables` renders from bench/results/*.json", () => {
    const readme = readFileSync("bench/README.md", "utf8");
    const inReadme = readme.split("<!-- results:start -->")[1]?.split("<!-- results:end -->")[0];
    expect(inReadme, "the README keeps its results markers").toBeDefined();
    expect(cells(inReadme ?? "")).toEqual(cells(tables("bench/results")));
  });

  it("every committed result names the commit it measured", () => {
    const names = readdirSync("bench/results").filter((f) => f.endsWith(".json"));
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) {
      const { machine } = JSON.parse(readFileSync(`bench/results/${name}`, "utf8"));
      expect(machine?.gitCommit, name).toMatch(/^[0-9a-f]{7,40}$/);
    }
  });
});
