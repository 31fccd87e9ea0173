// Where the Node gateway finds its backend config: --config <file>, else PETREL_BACKENDS_FILE, else
// the PETREL_BACKENDS JSON string (the same var a Worker uses). Secrets come from the environment.
import { readFileSync } from "node:fs";
import { type GatewayConfig, GatewayConfigError, parseGatewayConfig } from "../gateway/index.js";

export function loadGatewayConfig(
  file: string | undefined,
  env: Record<string, string | undefined>,
): GatewayConfig {
  const path = file ?? env.PETREL_BACKENDS_FILE;
  if (path) {
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (err) {
      throw new GatewayConfigError(`backend config: cannot read ${path}: ${(err as Error).message}`);
    }
    return parseGatewayConfig(text, env);
  }
  if (env.PETREL_BACKENDS) return parseGatewayConfig(env.PETREL_BACKENDS, env);
  throw new GatewayConfigError(
    "backend config: pass --config <file>, or set PETREL_BACKENDS_FILE or PETREL_BACKENDS",
  );
}
