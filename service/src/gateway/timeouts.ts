// Timeouts per backend, resolved from five layers (each overriding the last): built-in defaults,
// built-in defaults for the backend's kind, the config's top level, the config's `kinds.<kind>`,
// the model, the backend itself. Only values a layer states override; the rest fall through.

export interface Timeouts {
  /** Until the upstream answers with response headers. */
  connectMs: number;
  /**
   * From response headers until the first byte of the body (a keep-alive comment counts). A backend
   * that sends headers and then nothing is hung, not queueing, when it is one that writes at once:
   * Petrel's backend server sends a comment with its headers. Kinds that send nothing until their
   * first token (vLLM, TGI, llama.cpp, Ollama) default to `firstTokenMs`.
   */
  firstByteMs: number;
  /** From sending the request until the first content chunk (the commit point). */
  firstTokenMs: number;
  /** Longest silence between two chunks once streaming. */
  idleMs: number;
  /** Whole request, retries included: the one overall deadline. */
  totalMs: number;
}

export type TimeoutOverrides = Partial<Timeouts>;

export const TIMEOUT_KEYS = ["connectMs", "firstByteMs", "firstTokenMs", "idleMs", "totalMs"] as const;

const DEFAULTS: Omit<Timeouts, "firstByteMs"> = {
  connectMs: 5_000,
  firstTokenMs: 30_000,
  idleMs: 30_000,
  totalMs: 300_000,
};

/** Built-in defaults per kind, where a kind differs from the general ones. */
const KIND_DEFAULTS: Record<string, TimeoutOverrides> = {
  petrel: { firstByteMs: 5_000 },
};

/** Resolves one backend's timeouts; `firstByteMs` never exceeds `firstTokenMs`. */
export function resolveTimeouts(kind: string | undefined, layers: TimeoutOverrides[]): Timeouts {
  const merged: TimeoutOverrides = { ...DEFAULTS, ...(kind ? KIND_DEFAULTS[kind] : {}) };
  for (const layer of layers) Object.assign(merged, stripUndefined(layer));
  const t = merged as Omit<Timeouts, "firstByteMs"> & TimeoutOverrides;
  return { ...t, firstByteMs: Math.min(t.firstByteMs ?? t.firstTokenMs, t.firstTokenMs) };
}

function stripUndefined(layer: TimeoutOverrides): TimeoutOverrides {
  return Object.fromEntries(Object.entries(layer).filter(([, v]) => v !== undefined));
}
