// The SDK suites' view of the shared `wrangler dev` helper (tests/helpers/wrangler.ts): each run gets
// its own Durable Object state folder, removed on stop, and the SDK's base URL.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startWrangler } from "../helpers/wrangler.js";

export interface WranglerDev {
  origin: string;
  baseURL: string;
  logs: () => string;
  stop: () => Promise<void>;
}

/**
 * `vars` become `--var NAME:value` (e.g. PETREL_API_KEYS to switch on auth); `config` picks another
 * wrangler.toml than the service's (relative to the repository root).
 */
export async function startWranglerDev(
  vars: Record<string, string> = {},
  config?: string,
): Promise<WranglerDev> {
  const state = mkdtempSync(join(tmpdir(), "petrel-sdk-wrangler-"));
  const removeState = () => rmSync(state, { recursive: true, force: true });
  try {
    const dev = await startWrangler({ vars, config, persistTo: state });
    const stop = async () => {
      await dev.stop();
      removeState();
    };
    return { origin: dev.url, baseURL: `${dev.url}/v1`, logs: dev.log, stop };
  } catch (error) {
    removeState();
    throw error;
  }
}
