// The Node gateway's security wiring: config from process.env (PETREL_KEYS_FILE is read into
// PETREL_KEYS), rate limits in this process's memory. Without keys it runs open only on a loopback
// address (local development, announced loudly) or with PETREL_OPEN_ACCESS=1; anywhere else it refuses
// every /v1 request. Node-only (reads files), so it lives with the Node wiring, outside security/.
import { readFileSync } from "node:fs";
import {
  createGuard,
  memoryLimiter,
  type SecurityEnv,
  securityFromEnv,
  type WorkerSecurity,
} from "../security/index.js";

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|::1|\[::1\])$/;

export async function nodeSecurity(env: SecurityEnv, host: string): Promise<WorkerSecurity> {
  const file = env.PETREL_KEYS_FILE?.trim();
  const keys = file ? readFileSync(file, "utf8") : env.PETREL_KEYS;
  const flag = env.PETREL_OPEN_ACCESS?.trim();
  const open = flag ? flag : LOOPBACK.test(host) ? "1" : "0";
  const { config, maxBodyBytes } = await securityFromEnv({
    ...env,
    PETREL_KEYS: keys,
    PETREL_OPEN_ACCESS: open,
  });
  return { guard: createGuard({ config, limiter: memoryLimiter() }), maxBodyBytes };
}
