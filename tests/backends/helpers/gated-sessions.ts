// A real session factory with a gate the test holds: after `allow(n)`, n more runs go through and the
// next one waits until the test allows more. Decode steps become countable, and the engine can be
// held mid-generation while the test does something, with no timing involved.
import type { SessionFactory } from "../../../service/src/engine/index.js";
import type { RequestRecord } from "../../../service/src/http/index.js";
import { type BackendServer, startBackendServer } from "../../../service/src/server/backend-server.js";
import { interceptRuns } from "../../engine/batching-helpers.js";

export interface Gate {
  /** Runs that have gone through. */
  readonly runs: number;
  /** Lets `n` more runs through (Infinity: every run from now on), then holds the next one. */
  allow(n: number): void;
  /** Resolves once a run is waiting at the gate. */
  held(): Promise<void>;
}

export function gatedSessions(inner: SessionFactory): { sessions: SessionFactory; gate: Gate } {
  let budget = Number.POSITIVE_INFINITY;
  let runs = 0;
  let release: (() => void) | undefined;
  const watchers: (() => void)[] = [];
  const gate: Gate = {
    get runs() {
      return runs;
    },
    allow(n) {
      budget = n;
      release?.();
      release = undefined;
    },
    held: () => (release ? Promise.resolve() : new Promise((resolve) => watchers.push(resolve))),
  };
  const pass = async () => {
    while (budget <= 0) {
      await new Promise<void>((resolve) => {
        release = resolve;
        for (const watcher of watchers.splice(0)) watcher();
      });
    }
    budget--;
    runs++;
  };
  const sessions = interceptRuns(inner, `${inner.name}+gate`, async (session, feeds, fetches) => {
    await pass();
    return session.run(feeds, fetches);
  });
  return { sessions, gate };
}

/** A real backend server (tiny-random on onnxruntime-node) in the test process, its engine behind
 * `gate`, its request records gathered by request id. */
export function startGatedBackend(
  sessions: SessionFactory,
  records: Map<string, RequestRecord>,
): Promise<BackendServer> {
  return startBackendServer({
    modelDir: "models/tiny-random",
    host: "127.0.0.1",
    port: 0,
    provider: "cpu",
    sessions,
    requestLog: (record) => records.set(record.request_id, record),
  });
}
