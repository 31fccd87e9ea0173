// createGateway: the Gateway the HTTP layer talks to, over pools of backends built from the config.

import { ApiError, modelNotFound } from "../protocol/errors.js";
import { sleep as defaultSleep } from "./backoff.js";
import { type GatewayClock, realTimer, type SetTimer } from "./clock.js";
import type { BackendConfig, GatewayConfig, ModelRoute } from "./config.js";
import { dispatch } from "./dispatch.js";
import { createOpenAIUpstream, type FetchLike } from "./openai-upstream.js";
import { BackendSlot, Pool } from "./pool.js";
import { fetchTransport, type Transport } from "./transport.js";
import type { ChatBackend, Gateway, ModelEntry } from "./types.js";

export type { GatewayClock, SetTimer } from "./clock.js";
export { type BackendKind, type GatewayConfig, GatewayConfigError, parseGatewayConfig } from "./config.js";
export { createOpenAIUpstream, type FetchLike } from "./openai-upstream.js";
export type { ByteSource, Transport, UpstreamResponse } from "./transport.js";
export { DRAIN_LIMIT_BYTES } from "./transport.js";
export * from "./types.js";

/** A backend's "the prompt does not fit" (the engine's code, or an upstream's 400 wording). */
export function isContextLengthError(err: unknown): boolean {
  if (!(err instanceof ApiError) || err.status !== 400) return false;
  return err.code === "context_length_exceeded" || /maximum context length|context length/i.test(err.message);
}

export interface GatewayOptions {
  config: GatewayConfig;
  /** Builds the in-process engine backend for `kind: "embedded"` entries. */
  embedded?: (model: ModelRoute, backend: BackendConfig) => ChatBackend;
  /** Health checks, and upstream calls when no transport is given. */
  fetch?: FetchLike;
  /** Upstream chat calls (the hot path): the runtime's cheapest HTTP client; default: fetch. */
  transport?: Transport;
  now?: () => number;
  /** Arms every timeout (connect, first byte/token, idle, total, health probes); default setTimeout. */
  setTimer?: SetTimer;
  /** Waits between attempts (backoff, Retry-After rests); default a timer. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  random?: () => number;
}

export interface BackendStatus {
  id: string;
  kind: string;
  url?: string;
  outstanding: number;
  healthy: boolean;
  circuit: string;
  /** Times the circuit opened after client requests failed. */
  circuitTrips: number;
  /** Synthetic trials of the half-open circuit. */
  trials: { passed: number; failed: number };
  load?: { active: number; queued: number; capacity?: number; kvCacheUsage?: number };
}

export interface PetrelGateway extends Gateway {
  /** Runs every active health check and every due circuit trial now, and waits for them. */
  probeAll(): Promise<void>;
  /** Periodic health checks for long-lived processes (Node); returns a stop function. */
  startHealthChecks(): () => void;
  status(): Record<string, BackendStatus[]>;
}

export function createGateway(opts: GatewayOptions): PetrelGateway {
  const { config } = opts;
  const fetchImpl = opts.fetch ?? ((input, init) => fetch(input, init));
  const transport = opts.transport ?? fetchTransport(fetchImpl);
  const now = opts.now ?? Date.now;
  const clock: GatewayClock = { now, setTimer: opts.setTimer ?? realTimer };
  const random = opts.random ?? Math.random;
  const sleep = opts.sleep ?? defaultSleep;
  const pools = new Map<string, Pool>();
  const entries = new Map<string, ModelEntry>();

  for (const model of config.models) {
    const slots = model.backends.map((b) => new BackendSlot(b, buildBackend(model, b), config.circuit, now));
    pools.set(model.id, new Pool(model.id, slots, config.health, fetchImpl, clock, random));
    entries.set(model.id, {
      id: model.id,
      created: model.created,
      ownedBy: model.ownedBy,
      contextLength: model.contextLength,
    });
  }

  function buildBackend(model: ModelRoute, b: BackendConfig): ChatBackend {
    if (b.kind !== "embedded") return createOpenAIUpstream(b, transport, clock);
    if (!opts.embedded) throw new Error(`backend ${b.id}: kind "embedded" needs an engine on this runtime`);
    return opts.embedded(model, b);
  }

  return {
    listModels: () => [...entries.values()],
    getModel: (id) => entries.get(id),
    async chat(request, ctx) {
      const pool = pools.get(request.model);
      const model = config.models.find((m) => m.id === request.model);
      if (!pool || !model) throw modelNotFound(request.model);
      const { setTimer } = clock;
      const options = { retry: config.retry, totalMs: model.timeouts.totalMs, random, now, sleep, setTimer };
      for (let attempt = request; ; ) {
        try {
          return await dispatch(pool, attempt, ctx, options);
        } catch (err) {
          const shorter = ctx.shorten && isContextLengthError(err) ? ctx.shorten(attempt) : undefined;
          if (!shorter) throw err;
          attempt = shorter;
        }
      }
    },
    async probeAll() {
      await Promise.all([...pools.values()].map((p) => p.probeAll()));
    },
    startHealthChecks() {
      const tick = () => {
        for (const pool of pools.values()) pool.refreshStale();
      };
      tick();
      const timer = setInterval(tick, Math.max(10, Math.floor(config.health.intervalMs / 2)));
      (timer as { unref?: () => void }).unref?.();
      return () => clearInterval(timer);
    },
    status() {
      const out: Record<string, BackendStatus[]> = {};
      for (const [id, pool] of pools) {
        out[id] = pool.slots.map((s) => ({
          id: s.id,
          kind: s.config.kind,
          url: s.config.url,
          outstanding: s.outstanding,
          healthy: s.healthy,
          circuit: s.circuit.state,
          circuitTrips: s.circuit.trips,
          trials: { ...s.circuit.trials },
          load: s.load && {
            active: s.load.active,
            queued: s.load.queued,
            capacity: s.load.capacity,
            kvCacheUsage: s.load.kvCacheUsage,
          },
        }));
      }
      return out;
    },
  };
}
