// The Node servers' security wiring (the gateway and the backend server share it: one auth system
// with the Worker): config from process.env (PETREL_KEYS_FILE is read into PETREL_KEYS), rate limits
// in this process's memory. Without keys a server is open on a loopback address (local development,
// announced loudly); on any other address it refuses to start unless told to be open
// (`--insecure-open` or PETREL_OPEN_ACCESS=1). Node-only (reads files), so it lives with the Node
// wiring, outside security/.
import { readFileSync } from "node:fs";
import {
  createGuard,
  memoryLimiter,
  SecurityConfigError,
  type SecurityEnv,
  securityFromEnv,
  type WorkerSecurity,
} from "../security/index.js";

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|::1|\[::1\])$/;

export const isLoopback = (host: string) => LOOPBACK.test(host);

export interface NodeSecurityOptions {
  /** `--insecure-open`: serve without keys on a non-loopback address. */
  insecureOpen?: boolean;
}

export async function nodeSecurity(
  env: SecurityEnv,
  host: string,
  options: NodeSecurityOptions = {},
): Promise<WorkerSecurity> {
  const file = env.PETREL_KEYS_FILE?.trim();
  const keys = file ? readFileSync(file, "utf8") : env.PETREL_KEYS;
  const flag = options.insecureOpen ? "1" : env.PETREL_OPEN_ACCESS?.trim();
  const open = flag ? flag : isLoopback(host) ? "1" : "0";
  const { config, maxBodyBytes } = await securityFromEnv({
    ...env,
    PETREL_KEYS: keys,
    PETREL_OPEN_ACCESS: open,
  });
  if (config.keys.length === 0 && !config.open && !flag) {
    throw new SecurityConfigError(
      `no API keys configured, and ${host} is not a loopback address: refusing to serve anyone who ` +
        "can reach it. Configure PETREL_KEYS or PETREL_KEYS_FILE (docs/security.md), or pass " +
        "--insecure-open (or set PETREL_OPEN_ACCESS=1) to serve without keys.",
    );
  }
  return { guard: createGuard({ config, limiter: memoryLimiter() }), maxBodyBytes };
}
