// Tools and structured outputs through real clients against real workerd (`wrangler dev`, the
// repository's wrangler.toml): petrel-mini in-worker, int8 on onnxruntime-web, XGrammar's wasm as a
// compiled module beside ORT's. petrel-mini declares Hermes tool-call markup (`<tool_call>` and
// `</tool_call>` are tokens of its own) and its chat template renders the tools.
import { afterAll, beforeAll } from "vitest";
import { type RunningWrangler, startWrangler } from "../helpers/wrangler.js";
import { describeEngineTools, type EngineTarget } from "./engine-tools-suite.js";

let worker: RunningWrangler;
let target: EngineTarget;
beforeAll(async () => {
  worker = await startWrangler({ vars: { PETREL_OPEN_ACCESS: "1" } });
  target = { url: worker.url, model: "petrel-mini" };
});
afterAll(async () => {
  await worker?.stop();
});

describeEngineTools("wrangler dev (in-worker engine, petrel-mini)", () => target);
