// Tools and structured outputs through real clients against a real Petrel backend server process
// (service/src/entry/node-backend.ts, onnxruntime-node) serving the tools test model
// (tests/helpers/tool-model.ts): it declares Hermes markup and its template renders the tools.
import { afterAll, beforeAll } from "vitest";
import { type Proc, startBackend, stopAll } from "../backends/helpers/processes.js";
import { TOOL_MODEL_DIR, TOOL_MODEL_ID } from "../helpers/tool-model.js";
import { describeEngineTools, type EngineTarget } from "./engine-tools-suite.js";

const procs: Proc[] = [];
let target: EngineTarget;
beforeAll(async () => {
  const backend = await startBackend(["--model", TOOL_MODEL_DIR, "--model-id", TOOL_MODEL_ID]);
  procs.push(backend);
  target = { url: backend.url, model: TOOL_MODEL_ID };
});
afterAll(async () => {
  await stopAll(procs);
});

describeEngineTools(`the Node backend server (${TOOL_MODEL_ID})`, () => target);
