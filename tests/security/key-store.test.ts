// Keys: hashed storage, constant-time compare (every byte read, whatever matches: counted, not
// timed), config parsing that never echoes a secret.
import { describe, expect, it } from "vitest";
import {
  constantTimeEqual,
  createKeyStore,
  parseKeysDocument,
  SecurityConfigError,
  securityFromEnv,
} from "../../service/src/security/index.js";
import { KEYS, keyRecord, sha256Hex } from "./helpers.js";

/** An ArrayLike that counts how many of its indices were read. */
function counted(bytes: Uint8Array) {
  const reads = { count: 0 };
  const proxy = new Proxy(bytes, {
    get(target, prop) {
      if (typeof prop === "string" && /^\d+$/.test(prop)) reads.count++;
      return Reflect.get(target, prop);
    },
  });
  return { proxy, reads };
}

const digest = (text: string) => Uint8Array.from(Buffer.from(sha256Hex(text), "hex"));

describe("constantTimeEqual", () => {
  it("reads every byte of both inputs whether the first, a middle or no byte differs", () => {
    const expected = digest(KEYS.alice);
    const cases = [0, 1, 15, 31, -1].map((flip) => {
      const given = expected.slice();
      if (flip >= 0) given[flip] = (given[flip] ?? 0) ^ 0xff;
      return given;
    });
    const reads = cases.map((given) => {
      const a = counted(expected);
      const b = counted(given);
      const equal = constantTimeEqual(a.proxy, b.proxy);
      return { equal, a: a.reads.count, b: b.reads.count };
    });
    expect(reads.map((r) => r.equal)).toEqual([false, false, false, false, true]);
    // 32 reads of each side in every case: no early exit at the first difference.
    for (const r of reads) expect([r.a, r.b]).toEqual([32, 32]);
  });

  it("folds a length difference into the result instead of returning early", () => {
    const a = counted(new Uint8Array([1, 2, 3, 4]));
    const b = counted(new Uint8Array([1, 2]));
    expect(constantTimeEqual(a.proxy, b.proxy)).toBe(false);
    expect(a.reads.count).toBe(4);
    expect(constantTimeEqual(new Uint8Array(0), new Uint8Array(0))).toBe(true);
  });

  it("a key store refuses near misses (all but the last character right) and far misses alike", async () => {
    const store = createKeyStore([keyRecord("alice", KEYS.alice)]);
    const far = `x${KEYS.alice.slice(1)}`.split("").reverse().join("");
    const near = `${KEYS.alice.slice(0, -1)}!`;
    expect(await store.authenticate(near)).toBeUndefined();
    expect(await store.authenticate(far)).toBeUndefined();
    expect((await store.authenticate(KEYS.alice))?.id).toBe("alice");
  });

  it("agrees with plain equality on long inputs differing first, last or nowhere", () => {
    const x = new Uint8Array(4096).fill(7);
    const early = x.slice();
    early[0] = 8;
    const late = x.slice();
    late[4095] = 8;
    expect([
      constantTimeEqual(x, early),
      constantTimeEqual(x, late),
      constantTimeEqual(x, x.slice()),
    ]).toEqual([false, false, true]);
  });
});

describe("key store", () => {
  it("finds a key by its SHA-256 and compares against every record", async () => {
    const store = createKeyStore([keyRecord("alice", KEYS.alice), keyRecord("bob", KEYS.bob)]);
    expect((await store.authenticate(KEYS.alice))?.id).toBe("alice");
    expect((await store.authenticate(KEYS.bob))?.id).toBe("bob");
    expect(await store.authenticate(KEYS.admin)).toBeUndefined();
    expect(await store.authenticate("")).toBeUndefined();
  });

  it("parses a keys document with defaults, and rejects raw keys or bad limits without echoing them", () => {
    const doc = parseKeysDocument({
      keys: [{ id: "alice", sha256: sha256Hex(KEYS.alice).toUpperCase(), limits: { requestsPerMinute: 5 } }],
      defaultLimits: { tokensPerMinute: 100 },
    });
    expect(doc.keys[0]).toMatchObject({ id: "alice", models: "*", sha256: sha256Hex(KEYS.alice) });
    expect(doc.keys[0]?.limits).toEqual({ requestsPerMinute: 5, tokensPerMinute: 100, concurrent: 16 });
    const bad = [
      { keys: [{ id: "alice", sha256: KEYS.alice }] },
      { keys: [{ id: "a", sha256: sha256Hex("a"), limits: { concurrent: -1 } }] },
      { keys: [{ id: "a b", sha256: sha256Hex("a") }] },
      {
        keys: [
          { id: "a", sha256: sha256Hex("a") },
          { id: "a", sha256: sha256Hex("b") },
        ],
      },
    ];
    for (const input of bad) {
      let error: unknown;
      try {
        parseKeysDocument(input);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(SecurityConfigError);
      expect((error as Error).message).not.toContain(KEYS.alice);
    }
    expect(() => parseKeysDocument(`{"keys": "${KEYS.alice}"`)).toThrow(/not valid JSON/);
  });

  it("reads env: hashed keys, legacy raw keys hashed at start, admin key, open mode only without keys", async () => {
    const env = {
      PETREL_KEYS: JSON.stringify({ keys: [{ id: "alice", sha256: sha256Hex(KEYS.alice), models: ["m"] }] }),
      PETREL_API_KEYS: ` ${KEYS.bob} ,`,
      PETREL_ADMIN_KEY: KEYS.admin,
      PETREL_OPEN_ACCESS: "1",
      PETREL_LIMITS: JSON.stringify({ maxBodyBytes: 2048, requestLimits: { maxN: 2 } }),
    };
    const { config, maxBodyBytes } = await securityFromEnv(env);
    expect(config.keys.map((k) => k.id)).toEqual(["alice", `key-${sha256Hex(KEYS.bob).slice(0, 8)}`]);
    expect(JSON.stringify(config)).not.toContain(KEYS.bob);
    expect(JSON.stringify(config)).not.toContain(KEYS.admin);
    expect(config.adminSha256).toBe(sha256Hex(KEYS.admin));
    expect(config.open).toBe(false); // keys win over the open flag
    expect(config.requestLimits.maxN).toBe(2);
    expect(maxBodyBytes).toBe(2048);

    expect((await securityFromEnv({})).config).toMatchObject({ open: false, keys: [] });
    const open = (await securityFromEnv({ PETREL_OPEN_ACCESS: "1" })).config;
    expect(open.open).toBe(true);
    expect(open.defaultRateLimits).toEqual({
      requestsPerMinute: null,
      tokensPerMinute: null,
      concurrent: null,
    });
    await expect(securityFromEnv({ PETREL_KEYS: KEYS.alice })).rejects.toThrow(
      /PETREL_KEYS must be a JSON object/,
    );
  });
});
