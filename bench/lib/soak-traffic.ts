// The soak's traffic: a seeded mix of valid, invalid, streamed and abandoned chat requests, each
// sent the way a real client would (fetch, or a raw socket destroyed mid-stream), and classified by
// what came back. Nothing here judges latency; the soak measures memory.
import { connect } from "node:net";

export interface Target {
  name: string;
  url: string;
  /** Models this target serves, picked from at random. */
  models: string[];
  key: string;
  /** A key whose concurrency limit is 1: some of its requests get 429. */
  tightKey: string;
}

export type Kind =
  | "json"
  | "stream"
  | "abandoned"
  | "bad-json"
  | "text-plain"
  | "too-long"
  | "unknown-model"
  | "wrong-type"
  | "deep-json"
  | "no-key"
  | "tight-key";

/** Relative weights: half valid traffic (a third of it abandoned mid-stream), half invalid. */
const WEIGHTS: [Kind, number][] = [
  ["json", 18],
  ["stream", 18],
  ["abandoned", 14],
  ["bad-json", 6],
  ["text-plain", 6],
  ["too-long", 6],
  ["unknown-model", 6],
  ["wrong-type", 6],
  ["deep-json", 6],
  ["no-key", 7],
  ["tight-key", 7],
];
const TOTAL = WEIGHTS.reduce((sum, [, w]) => sum + w, 0);

/** mulberry32: a small seeded PRNG, so two soaks send the same sequence. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function pickKind(random: () => number): Kind {
  let r = random() * TOTAL;
  for (const [kind, weight] of WEIGHTS) {
    r -= weight;
    if (r < 0) return kind;
  }
  return "json";
}

const WORDS = ["the", "sea", "petrel", "storm", "wing", "salt", "wave", "night", "far", "light"];

function prompt(random: () => number): string {
  const n = 3 + Math.floor(random() * 40);
  return Array.from({ length: n }, () => WORDS[Math.floor(random() * WORDS.length)]).join(" ");
}

function chatBody(target: Target, random: () => number, extra: Record<string, unknown> = {}) {
  const model = target.models[Math.floor(random() * target.models.length)];
  return {
    model,
    messages: [{ role: "user", content: prompt(random) }],
    max_tokens: 4 + Math.floor(random() * 12),
    temperature: 0.8,
    seed: Math.floor(random() * 1e6),
    ...extra,
  };
}

function deep(levels: number): string {
  return `{"model":"x","messages":[${"[".repeat(levels)}${"]".repeat(levels)}]}`;
}

interface Shaped {
  body: string;
  contentType: string;
  key: string | undefined;
}

function shape(kind: Kind, target: Target, random: () => number): Shaped {
  const json = (extra: Record<string, unknown> = {}) => JSON.stringify(chatBody(target, random, extra));
  const base = { contentType: "application/json", key: target.key };
  switch (kind) {
    case "json":
      return { ...base, body: json() };
    case "stream":
    case "abandoned":
      return { ...base, body: json({ stream: true, stream_options: { include_usage: true } }) };
    case "bad-json":
      return { ...base, body: json().slice(0, 20) };
    case "text-plain":
      return { ...base, contentType: "text/plain", body: json() };
    case "too-long":
      return { ...base, body: json({ user: "u".repeat(2_000 + Math.floor(random() * 8_000)) }) };
    case "unknown-model":
      return { ...base, body: json({ model: `no-such-model-${Math.floor(random() * 1e9)}` }) };
    case "wrong-type":
      return { ...base, body: json({ temperature: "hot", n: -1 }) };
    case "deep-json":
      return { ...base, body: deep(40 + Math.floor(random() * 200)) };
    case "no-key":
      return { ...base, key: undefined, body: json() };
    case "tight-key":
      return { ...base, key: target.tightKey, body: json({ stream: true }) };
  }
}

/** Sends one request of `kind`; resolves with a short outcome label (status, or what happened). */
export async function send(kind: Kind, target: Target, random: () => number): Promise<string> {
  const { body, contentType, key } = shape(kind, target, random);
  if (kind === "abandoned") return abandon(target.url, body, key);
  const headers: Record<string, string> = { "content-type": contentType };
  if (key) headers.authorization = `Bearer ${key}`;
  try {
    const response = await fetch(`${target.url}/v1/chat/completions`, {
      method: "POST",
      headers,
      body,
      signal: AbortSignal.timeout(120_000),
    });
    await response.arrayBuffer();
    return String(response.status);
  } catch (err) {
    return `error:${(err as Error).name}`;
  }
}

/** A client that vanishes: reads the stream until its first content chunk, then destroys the socket. */
function abandon(url: string, body: string, key: string | undefined): Promise<string> {
  const { hostname, port } = new URL(url);
  const head = [
    "POST /v1/chat/completions HTTP/1.1",
    `host: ${hostname}:${port}`,
    "content-type: application/json",
    `content-length: ${Buffer.byteLength(body)}`,
    ...(key ? [`authorization: Bearer ${key}`] : []),
  ];
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname, () => socket.write(`${head.join("\r\n")}\r\n\r\n${body}`));
    let text = "";
    const done = (outcome: string) => {
      socket.destroy();
      resolve(outcome);
    };
    socket.setTimeout(120_000, () => done("abandoned:timeout"));
    socket.on("data", (data) => {
      text += data.toString();
      if (/"content":"[^"]/.test(text)) done("abandoned");
    });
    socket.on("error", () => done("abandoned:error"));
    socket.on("close", () => done(`abandoned:closed-${text.slice(9, 12)}`));
  });
}
