// Batching probe (issue 10): one Petrel backend server process, N concurrent greedy streams
// (EOS banned, so every stream decodes exactly --tokens), levels interleaved over --reps rounds.
// Per level: aggregate tok/s (wall), p50/p99 TTFT, and the server process's CPU ms per token read
// from /proc — on a shared, loaded machine wall time measures the neighbours too, CPU time per
// token is what the server itself spends (1000 / it = tok/s on one dedicated core), with its kernel
// share, and the load generator's own CPU per token (it shares the cores, so it must stay small).
//   node bench/batching-probe.mjs [--model models/petrel-mini] [--levels 1,8] [--reps 5]
//     [--tokens 128] [--flags="--batch-size 8"]      (prints JSON; writes nothing)
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    model: { type: "string", default: "models/petrel-mini" },
    levels: { type: "string", default: "1,8" },
    reps: { type: "string", default: "5" },
    tokens: { type: "string", default: "128" },
    flags: { type: "string", default: "" },
  },
});
const levels = values.levels.split(",").map(Number);
const maxTokens = Number(values.tokens);
const questions = ["Tell me about petrels.", "What is 12 plus 7?", "Describe the sea at night.", "Hello!"];

function startServer() {
  const args = [
    "--import",
    "tsx",
    "service/src/entry/node-backend.ts",
    "--model",
    values.model,
    "--port",
    "0",
  ];
  const child = spawn(process.execPath, [...args, ...values.flags.split(" ").filter(Boolean)], {
    env: { ...process.env, PETREL_REQUEST_LOG: "off" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    child.on("exit", (code) => reject(new Error(`backend exited ${code}`)));
    child.stdout.on("data", (d) => {
      const m = /listening on (http:\/\/\S+)/.exec(String(d));
      if (m) resolve({ child, url: m[1] });
    });
  });
}

/** utime and stime of the whole server process (all threads), in ms (clock ticks at USER_HZ=100). */
function cpuTimes(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return { user: Number(fields[11]) * 10, sys: Number(fields[12]) * 10 };
}

// node:http with a keep-alive agent, not fetch: the load generator shares the 2 cores with the
// server, and undici's web streams cost the client ~3× more CPU per chunk than a plain socket read.
const agent = new Agent({ keepAlive: true, maxSockets: 64 });

function stream(url, i) {
  const start = performance.now();
  const body = JSON.stringify({
    model: values.model.split("/").pop(),
    messages: [{ role: "user", content: questions[i % questions.length] }],
    stream: true,
    stream_options: { include_usage: true },
    max_tokens: maxTokens,
    temperature: 0,
    logit_bias: { 2: -100 },
  });
  return new Promise((resolve, reject) => {
    const req = request(`${url}/v1/chat/completions`, {
      method: "POST",
      agent,
      headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
    });
    req.on("error", reject);
    req.on("response", (res) => {
      res.setEncoding("utf8");
      let tail = "";
      let ttft;
      res.on("data", (chunk) => {
        // Only the first content token and the final usage matter; keep a short tail for the latter.
        if (ttft === undefined && /"content":"[^"]/.test(chunk)) ttft = performance.now() - start;
        tail = (tail + chunk).slice(-512);
      });
      res.on("end", () => {
        const tokens = Number(/"completion_tokens":(\d+)/.exec(tail)?.[1] ?? 0);
        resolve({ ttft: ttft ?? performance.now() - start, tokens });
      });
      res.on("error", reject);
    });
    req.end(body);
  });
}

const pct = (xs, p) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const median = (xs) => pct(xs, 50);
const sum = (rs, key) => rs.reduce((n, r) => n + r[key], 0);
const r1 = (x) => Math.round(x * 10) / 10;

const { child, url } = await startServer();
try {
  await Promise.all([stream(url, 0), stream(url, 1)]); // warm-up
  const rounds = new Map(levels.map((l) => [l, []]));
  for (let rep = 0; rep < Number(values.reps); rep++) {
    const order = rep % 2 ? [...levels].reverse() : levels;
    for (const level of order) {
      const cpu0 = cpuTimes(child.pid);
      const client0 = process.cpuUsage();
      const t0 = performance.now();
      const out = await Promise.all(Array.from({ length: level }, (_, i) => stream(url, i)));
      const wall = performance.now() - t0;
      const tokens = out.reduce((n, o) => n + o.tokens, 0);
      const cpu1 = cpuTimes(child.pid);
      const cpu = cpu1.user + cpu1.sys - cpu0.user - cpu0.sys;
      const client = process.cpuUsage(client0);
      rounds.get(level).push({
        tokS: (tokens / wall) * 1000,
        cpuMs: cpu,
        tokens,
        // Kernel share: mostly the socket writes (on loopback the send path also delivers to the reader).
        sysMs: cpu1.sys - cpu0.sys,
        clientMsPerToken: (client.user + client.system) / 1000 / tokens,
        ttft: out.map((o) => o.ttft),
      });
    }
  }
  const rows = levels.map((level) => {
    const rs = rounds.get(level);
    const ttft = rs.flatMap((r) => r.ttft);
    return {
      concurrency: level,
      aggregate_tok_s: r1(median(rs.map((r) => r.tokS))),
      // Pooled over the rounds (Σ CPU / Σ tokens): /proc counts in 10 ms ticks, too coarse for one round.
      server_cpu_ms_per_token: Math.round((sum(rs, "cpuMs") / sum(rs, "tokens")) * 1000) / 1000,
      server_sys_share: Math.round((sum(rs, "sysMs") / Math.max(1, sum(rs, "cpuMs"))) * 100) / 100,
      client_cpu_ms_per_token: Math.round(median(rs.map((r) => r.clientMsPerToken)) * 1000) / 1000,
      ttft_p50_ms: r1(pct(ttft, 50)),
      ttft_p99_ms: r1(pct(ttft, 99)),
    };
  });
  const [base] = rows;
  for (const row of rows) {
    row.wall_scaling_vs_1 = Math.round((row.aggregate_tok_s / base.aggregate_tok_s) * 100) / 100;
    row.cpu_scaling_vs_1 =
      Math.round((base.server_cpu_ms_per_token / row.server_cpu_ms_per_token) * 100) / 100;
  }
  const load = await (await fetch(`${url}/v1/load`)).json();
  console.log(
    JSON.stringify(
      {
        probe: "batching",
        model: values.model,
        flags: values.flags,
        maxTokens,
        reps: Number(values.reps),
        load,
        loadAverage: (await import("node:os")).loadavg()[0],
        rows,
      },
      null,
      2,
    ),
  );
} finally {
  child.kill("SIGKILL");
}
