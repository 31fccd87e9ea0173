// Starts the engine's test Worker (./wrangler.toml) under real workerd through the shared
// `wrangler dev` helper; it answers GET /health before any model is loaded.
import { fileURLToPath } from "node:url";
import { type RunningWrangler, startWrangler } from "../../helpers/wrangler.js";

export type RunningWorker = RunningWrangler;

export function startTestWorker(): Promise<RunningWorker> {
  return startWrangler({ config: fileURLToPath(new URL("./wrangler.toml", import.meta.url)) });
}
