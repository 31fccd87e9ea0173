// Who owns a stored response: the security guard's key id, or without the guard a non-secret digest
// of the bearer key (so distinct keys never share responses), or "anonymous" when nothing identifies
// the caller (local development without keys).
import type { Context } from "hono";
import type { AppEnv } from "./env.js";

export async function ownerOf(c: Context<AppEnv>): Promise<string> {
  const key = c.get("apiKey");
  if (key) return key.id;
  const token = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header("authorization") ?? "")?.[1];
  if (!token) return "anonymous";
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token));
  const hex = Array.from(new Uint8Array(digest).slice(0, 16), (b) => b.toString(16).padStart(2, "0"));
  return `key-${hex.join("")}`;
}

/** Keeps work that must outlive the response (storing after a disconnect) alive on Workers. */
export function keepAlive(c: Context<AppEnv>, promise: Promise<unknown>): void {
  try {
    c.executionCtx.waitUntil(promise);
  } catch {
    // Node has no ExecutionContext; the promise runs to the end anyway.
  }
}
