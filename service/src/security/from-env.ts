// SecurityConfig from environment strings, the same on Workers (vars/secrets) and Node (process.env;
// the Node entry reads PETREL_KEYS_FILE into PETREL_KEYS). See docs/security.md for every variable.
import {
  DEFAULT_RATE_LIMITS,
  type KeyRecord,
  parseKeysDocument,
  parseRateLimits,
  parseSha256,
  type SecurityConfig,
  SecurityConfigError,
  UNLIMITED,
} from "./config.js";
import { sha256Hex } from "./key-store.js";

export type SecurityEnv = Record<string, string | undefined>;

export interface SecuritySettings {
  config: SecurityConfig;
  /** PETREL_LIMITS.maxBodyBytes, for the HTTP layer's body limit. */
  maxBodyBytes?: number;
}

function parseJsonVar(env: SecurityEnv, name: string): Record<string, unknown> {
  const text = env[name]?.trim();
  if (!text) return {};
  try {
    const value = JSON.parse(text);
    if (value !== null && typeof value === "object" && !Array.isArray(value)) return value;
  } catch {
    // reported below without echoing the value
  }
  throw new SecurityConfigError(`${name} must be a JSON object`);
}

/** PETREL_API_KEYS: raw comma-separated keys, hashed here at start (prefer hashed PETREL_KEYS). */
async function rawKeys(raw: string | undefined, limits: SecurityConfig["defaultRateLimits"]) {
  const keys = (raw ?? "")
    .split(",")
    .map((k) => k.trim())
    .filter(Boolean);
  return Promise.all(
    keys.map(async (key): Promise<KeyRecord> => {
      const sha256 = await sha256Hex(key);
      return { id: `key-${sha256.slice(0, 8)}`, sha256, models: "*", limits };
    }),
  );
}

async function adminDigest(env: SecurityEnv): Promise<string | undefined> {
  if (env.PETREL_ADMIN_KEY_SHA256?.trim())
    return parseSha256(env.PETREL_ADMIN_KEY_SHA256, "PETREL_ADMIN_KEY_SHA256");
  const raw = env.PETREL_ADMIN_KEY?.trim();
  return raw ? sha256Hex(raw) : undefined;
}

export async function securityFromEnv(env: SecurityEnv): Promise<SecuritySettings> {
  const limitsDoc = parseJsonVar(env, "PETREL_LIMITS");
  const keysDoc = parseJsonVar(env, "PETREL_KEYS");
  const parsed = parseKeysDocument({
    keys: keysDoc.keys ?? [],
    defaultLimits: keysDoc.defaultLimits ?? limitsDoc.defaultLimits,
    requestLimits: keysDoc.requestLimits ?? limitsDoc.requestLimits,
  });
  const keys = [...parsed.keys, ...(await rawKeys(env.PETREL_API_KEYS, parsed.defaultRateLimits))];
  const open = keys.length === 0 && /^(1|true|yes)$/i.test(env.PETREL_OPEN_ACCESS?.trim() ?? "");
  // Open mode (local development) is not rate limited unless limits were asked for explicitly.
  const explicit = keysDoc.defaultLimits ?? limitsDoc.defaultLimits;
  const defaultRateLimits =
    open && explicit === undefined
      ? UNLIMITED
      : parseRateLimits(explicit, "defaultLimits", DEFAULT_RATE_LIMITS);
  const maxBodyBytes = limitsDoc.maxBodyBytes;
  if (maxBodyBytes !== undefined && !(Number.isInteger(maxBodyBytes) && (maxBodyBytes as number) > 0))
    throw new SecurityConfigError("PETREL_LIMITS.maxBodyBytes must be a positive integer");
  return {
    config: {
      keys,
      adminSha256: await adminDigest(env),
      open,
      requestLimits: parsed.requestLimits,
      defaultRateLimits,
    },
    maxBodyBytes: maxBodyBytes as number | undefined,
  };
}
