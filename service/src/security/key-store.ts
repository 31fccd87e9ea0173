// Bearer keys are looked up by SHA-256: the presented key is hashed and its digest compared with
// every stored digest in constant time. Hashing first means the compared values are fixed-length
// and unrelated to how many leading characters of a guess are right; the compare never exits early
// and every record is compared, so timing says nothing about which key (or prefix) was close.
import type { KeyRecord } from "./config.js";

const encoder = new TextEncoder();

export async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
}

export const toHex = (bytes: Uint8Array) =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

export async function sha256Hex(text: string): Promise<string> {
  return toHex(await sha256(text));
}

export function fromHex(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/**
 * True when `a` and `b` hold the same bytes. Reads every index of the longer input whatever it finds
 * (takes ArrayLike so a test can count the reads); lengths are folded into the result, not tested first.
 */
export function constantTimeEqual(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  const length = Math.max(a.length, b.length);
  let diff = a.length ^ b.length;
  for (let i = 0; i < length; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

export interface KeyStore {
  /** The record whose key hashes to the presented token's digest, if any. */
  authenticate(token: string): Promise<KeyRecord | undefined>;
  readonly size: number;
}

export function createKeyStore(records: readonly KeyRecord[]): KeyStore {
  const digests = records.map((r) => fromHex(r.sha256));
  return {
    size: records.length,
    async authenticate(token) {
      const given = await sha256(token);
      let found = -1;
      // No break: every record is compared even after a match.
      for (let i = 0; i < digests.length; i++) {
        const digest = digests[i] as Uint8Array;
        if (constantTimeEqual(digest, given)) found = i;
      }
      return found >= 0 ? records[found] : undefined;
    },
  };
}

/** The admin key check: one digest, same constant-time compare. */
export function createSecretCheck(sha256HexDigest: string): (token: string) => Promise<boolean> {
  const expected = fromHex(sha256HexDigest);
  return async (token) => constantTimeEqual(expected, await sha256(token));
}
