// Three real Petrel backend servers behind the real Node gateway; one is SIGKILLed under load.
// Must show: no request that had not started streaming fails (they fail over), and the streams the
// killed backend was serving end with an error event followed by [DONE] — never a clean end. Then a
// second backend leaves gracefully (SIGTERM → drain) under load: nothing fails at all.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  loadOf,
  longChat,
  type Proc,
  postChat,
  startBackend,
  startNodeGateway,
  stopAll,
} from "./helpers/processes.js";

const procs: Proc[] = [];
afterAll(() => stopAll(procs));

type Outcome = "ok" | "cut-mid-stream" | "failed-before-streaming";

interface Tracked {
  content: string;
  /** Its finish_reason arrived: no more content will come. */
  finished: boolean;
  done: boolean;
}

/** Reads one SSE response incrementally, so the test can see which streams are mid-content now. */
async function follow(res: Response, t: Tracked): Promise<{ outcome: Outcome; detail: string }> {
  if (res.status !== 200 || !res.body)
    return { outcome: "failed-before-streaming", detail: `HTTP ${res.status}` };
  const decoder = new TextDecoder();
  let buffer = "";
  let error: unknown;
  let finished = false;
  try {
    const reader = res.body.getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      buffer += decoder.decode(r.value, { stream: true });
      const events = buffer.split("\n\n");
      buffer = events.pop() ?? "";
      for (const data of events.filter((e) => e.startsWith("data: ")).map((e) => e.slice(6))) {
        if (data === "[DONE]") {
          t.done = true;
          continue;
        }
        const obj = JSON.parse(data);
        if (obj.error) error = obj.error;
        for (const c of obj.choices ?? []) {
          if (c.finish_reason === "length") finished = true;
          if (c.finish_reason) t.finished = true;
          if (c.delta?.content) t.content += c.delta.content;
        }
      }
    }
  } catch (err) {
    return { outcome: "failed-before-streaming", detail: `body error ${err}` };
  }
  if (error === undefined && t.done && finished) return { outcome: "ok", detail: "" };
  // An error is acceptable only after content was sent, and then it must be an event + [DONE].
  if (error !== undefined && t.content.length > 0 && t.done)
    return { outcome: "cut-mid-stream", detail: JSON.stringify(error) };
  return { outcome: "failed-before-streaming", detail: `error=${JSON.stringify(error)} done=${t.done}` };
}

/** A stream not yet seen: no content, not done. */
const untracked = (): Tracked => ({ content: "", finished: false, done: false });

describe("kill a backend under load (3 real backends, real Node gateway)", () => {
  let backends: Proc[];
  let gateway: Proc;

  beforeAll(async () => {
    // one run at a time per backend (no batching): the scenario needs queues behind running streams
    const one = () => startBackend(["--batch-size", "1"]);
    backends = await Promise.all([one(), one(), one()]);
    procs.push(...backends);
    gateway = await startNodeGateway({
      timeouts: { connectMs: 5_000, firstTokenMs: 60_000, idleMs: 10_000, totalMs: 120_000 },
      retry: { maxAttempts: 5, baseDelayMs: 20, maxDelayMs: 500 },
      circuit: { failureThreshold: 2, cooldownMs: 30_000 },
      health: { intervalMs: 250, timeoutMs: 1_000 },
      models: { "tiny-random": { backends: backends.map((b) => ({ url: b.url, kind: "petrel" })) } },
    });
    procs.push(gateway);
  });

  it("0 failures before streaming; the victim's streams end with an error event + [DONE]", async () => {
    const victim = backends[0] as Proc;
    const total = 24;
    const tracked: Tracked[] = Array.from({ length: total }, untracked);
    const results = tracked.map((t) => postChat(gateway.url, longChat()).then((res) => follow(res, t)));
    // Kill when three streams are mid-content at once: with capacity 1 per backend, one of them is the
    // victim's, so it is mid-stream; more requests wait queued behind it.
    for (;;) {
      await new Promise((r) => setImmediate(r));
      const flowing = tracked.filter((t) => t.content.length > 0 && !t.finished);
      if (flowing.length === backends.length && (await loadOf(victim.url)).body.queued > 0) break;
    }
    victim.kill("SIGKILL");
    const outcomes = await Promise.all(results);
    const count = (o: Outcome) => outcomes.filter((r) => r.outcome === o).length;
    console.log(
      `[backends] kill under load: ${total} requests → ok ${count("ok")}, cut mid-stream ${count("cut-mid-stream")}, failed before streaming ${count("failed-before-streaming")}`,
    );
    expect(outcomes.filter((r) => r.outcome === "failed-before-streaming")).toEqual([]);
    expect(count("cut-mid-stream")).toBeGreaterThanOrEqual(1);
    expect(count("ok") + count("cut-mid-stream")).toBe(total);
    expect(await victim.exited).toBeNull(); // it really died (by signal)

    // Afterwards the gateway routes around the dead backend: everything succeeds.
    const after = await Promise.all(
      Array.from({ length: 6 }, () =>
        postChat(gateway.url, longChat("tiny-random", true, 8)).then((res) => follow(res, untracked())),
      ),
    );
    expect(after.map((r) => r.outcome)).toEqual(Array(6).fill("ok"));
  });

  it("SIGTERM (graceful drain) under load instead: every request succeeds, none is cut", async () => {
    const leaving = backends[1] as Proc;
    const total = 12;
    const tracked: Tracked[] = Array.from({ length: total }, untracked);
    const results = tracked.map((t) => postChat(gateway.url, longChat()).then((res) => follow(res, t)));
    for (;;) {
      const { body } = await loadOf(leaving.url);
      if (body.active > 0 && body.queued > 0) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    leaving.kill("SIGTERM");
    const outcomes = await Promise.all(results);
    const ok = outcomes.filter((o) => o.outcome === "ok").length;
    console.log(`[backends] drain under load: ${total} requests → ok ${ok}, others ${total - ok}`);
    expect(outcomes.map((o) => o.outcome)).toEqual(Array(total).fill("ok"));
    expect(await leaving.exited).toBe(0);
  });
});
