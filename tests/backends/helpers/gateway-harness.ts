// Builds a real gateway (createGateway) over fake or real upstreams with short timeouts, and
// drains its streams into text + error for assertions.
import { createGateway, type PetrelGateway, parseGatewayConfig } from "../../../service/src/gateway/index.js";
import type { ChatCompletionRequest, ChatStream } from "../../../service/src/gateway/types.js";
import { ApiError } from "../../../service/src/protocol/errors.js";

export interface BackendSpec {
  url: string;
  id?: string;
  weight?: number;
  kind?: string;
  upstreamModel?: string;
}

/**
 * A clock the test moves: `now()` reads it; `setTimer` arms the gateway's timeouts on it (they fire
 * only when the test moves the clock past them); `sleep(ms)` records the wait and moves the clock by
 * `ms` at once, so backoff and Retry-After rests take no wall time and can be asserted exactly.
 */
export function manualClock(start = 1_000_000) {
  let time = start;
  const slept: number[] = [];
  const timers = new Set<{ at: number; fn: () => void }>();
  const advance = (ms: number) => {
    time += ms;
    const due = [...timers].filter((t) => t.at <= time).sort((a, b) => a.at - b.at);
    for (const t of due) {
      timers.delete(t);
      t.fn();
    }
  };
  return {
    slept,
    now: () => time,
    advance,
    /** Milliseconds left on every armed timer. */
    pending: () => [...timers].map((t) => t.at - time),
    setTimer: (fn: () => void, ms: number) => {
      const timer = { at: time + ms, fn };
      timers.add(timer);
      return () => {
        timers.delete(timer);
      };
    },
    sleep: async (ms: number) => {
      slept.push(ms);
      advance(ms);
    },
  };
}

export type ManualClock = ReturnType<typeof manualClock>;

export function gatewayFor(
  backends: BackendSpec[],
  overrides: Record<string, unknown> = {},
  clock?: Pick<ManualClock, "now" | "sleep" | "setTimer">,
): PetrelGateway {
  const config = parseGatewayConfig({
    timeouts: { connectMs: 1_000, firstTokenMs: 1_000, idleMs: 500, totalMs: 10_000 },
    retry: { maxAttempts: 3, baseDelayMs: 20, maxDelayMs: 200 },
    circuit: { failureThreshold: 3, cooldownMs: 60_000 },
    health: { intervalMs: 60_000, timeoutMs: 1_000 },
    ...overrides,
    models: { m: { backends: backends.map((b, i) => ({ id: `b${i}`, kind: "petrel", ...b })) } },
  });
  return createGateway({ config, now: clock?.now, sleep: clock?.sleep, setTimer: clock?.setTimer });
}

export interface Drained {
  text: string;
  chunks: Record<string, unknown>[];
  error?: ApiError;
}

export async function drain(stream: ChatStream): Promise<Drained> {
  const out: Drained = { text: "", chunks: [] };
  try {
    for await (const chunk of stream.chunks) {
      out.chunks.push(chunk);
      for (const c of chunk.choices as { delta?: { content?: string } }[]) out.text += c.delta?.content ?? "";
    }
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    out.error = err;
  }
  return out;
}

export const ctx = (signal: AbortSignal = new AbortController().signal) => ({
  requestId: "req_test",
  signal,
});

export const ask = (model = "m"): ChatCompletionRequest => ({
  model,
  messages: [{ role: "user", content: "hi" }],
  stream: false,
});

/** Resolves to the ApiError chat() throws before the first token. */
export async function startError(gateway: PetrelGateway, signal?: AbortSignal): Promise<ApiError> {
  try {
    await gateway.chat(ask(), ctx(signal));
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error("chat() unexpectedly succeeded");
}

export async function waitFor(predicate: () => boolean, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 5));
  }
}
