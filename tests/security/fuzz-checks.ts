// What every fuzzed response must satisfy, and the tally the suites print.
import type { HostileRequest } from "./arbitraries.js";
import { assertOpenAIError } from "./helpers.js";

export interface FuzzTally {
  total: number;
  byStatus: Record<number, number>;
  byKind: Record<string, number>;
}

/** Sends one request and checks every property; returns the status. */
export async function checkResponse(response: Response, request: HostileRequest, secrets: string[]) {
  const text = await response.text();
  const where = `${request.kind}: ${request.method} ${request.path} → ${response.status}`;
  if (response.status >= 500) throw new Error(`${where}: ${text.slice(0, 300)}`);
  if (response.status >= 400) assertOpenAIError(JSON.parse(text), where);
  else if ((response.headers.get("content-type") ?? "").startsWith("application/json")) JSON.parse(text);
  const headers = JSON.stringify([...response.headers]);
  for (const secret of secrets) {
    if (text.includes(secret) || headers.includes(secret)) throw new Error(`${where}: a secret leaked`);
  }
  return response.status;
}

export function tally(counts: FuzzTally, request: HostileRequest, status: number) {
  counts.total++;
  counts.byStatus[status] = (counts.byStatus[status] ?? 0) + 1;
  const kind = request.kind.replace(/ \(.*\)$/, "");
  counts.byKind[kind] = (counts.byKind[kind] ?? 0) + 1;
}
