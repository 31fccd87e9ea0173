// The retry policy, kept apart from the transport so it reads as one table of rules.
// Mirrors openai-node: retry connection errors, timeouts, 408, 409, 429 and 5xx; the server can
// override with `x-should-retry`; waits honour `retry-after-ms` then `retry-after`.

const INITIAL_DELAY_MS = 500;
const MAX_DELAY_MS = 8_000;
/** A server asking for longer than this is not worth waiting for inside one call. */
const MAX_SERVER_DELAY_MS = 60_000;

/** Whether a response with this status/headers should be tried again. */
export function shouldRetryResponse(status: number, headers: Headers): boolean {
  const hint = headers.get("x-should-retry");
  if (hint === "true") return true;
  if (hint === "false") return false;
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

/**
 * How long to wait before retry number `attempt` (1-based). A server-given delay wins when it is
 * sane (0..60 s); otherwise exponential backoff from 0.5 s up to 8 s, minus up to 25% jitter so a
 * crowd of clients does not return in lockstep.
 */
export function retryDelayMs(attempt: number, headers?: Headers, random: () => number = Math.random): number {
  const fromServer = headers ? serverDelayMs(headers) : undefined;
  if (fromServer !== undefined) return fromServer;
  const base = Math.min(INITIAL_DELAY_MS * 2 ** (attempt - 1), MAX_DELAY_MS);
  return base * (1 - random() * 0.25);
}

function serverDelayMs(headers: Headers): number | undefined {
  const candidates = [
    parseRetryAfterMs(headers.get("retry-after-ms")),
    parseRetryAfter(headers.get("retry-after")),
  ];
  for (const ms of candidates) {
    if (ms !== undefined && ms >= 0 && ms <= MAX_SERVER_DELAY_MS) return ms;
  }
  return undefined;
}

function parseRetryAfterMs(value: string | null): number | undefined {
  if (value === null || value.trim() === "") return undefined;
  const ms = Number(value);
  return Number.isFinite(ms) ? ms : undefined;
}

/** `retry-after` is either delta-seconds or an HTTP-date (RFC 9110 §10.2.3). */
function parseRetryAfter(value: string | null): number | undefined {
  if (value === null || value.trim() === "") return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** A sleep that ends early (rejecting with the signal's reason) when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
