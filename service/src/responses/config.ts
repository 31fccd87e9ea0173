// How long stored responses are kept: PETREL_RESPONSES_RETENTION_DAYS (default 30, OpenAI's), read
// the same way by the Worker's Durable Object and the Node gateway.
export const DEFAULT_RETENTION_DAYS = 30;
const DAY_MS = 86_400_000;

export class ResponsesConfigError extends Error {
  override readonly name = "ResponsesConfigError";
}

/** Milliseconds from a number of days (fractions allowed); unset or blank → the default. */
export function retentionMs(days: string | undefined): number {
  const text = days?.trim();
  if (!text) return DEFAULT_RETENTION_DAYS * DAY_MS;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0)
    throw new ResponsesConfigError("PETREL_RESPONSES_RETENTION_DAYS must be a positive number of days");
  return value * DAY_MS;
}
