// Hostile sampling parameters the contract allows (temperature > 0 but tiny, found by the workerd
// fuzz batch: 5e-324 made logits/T overflow to NaN and the request fail with 500) on the real engine.
import { describe, expect, it } from "vitest";
import type { GenerateEvent } from "../../service/src/engine/index.js";
import { nodeSessions } from "../../service/src/ort/node.js";
import { engineOn } from "../engine/helpers.js";

async function text(events: AsyncIterable<GenerateEvent>) {
  let out = "";
  for await (const event of events) if (event.type === "delta") out += event.text;
  return out;
}

describe("engine with hostile sampling parameters", () => {
  it("a positive temperature below 1e-5 decodes greedily instead of failing", async () => {
    const engine = await engineOn("petrel-mini", nodeSessions());
    const messages = [{ role: "user" as const, content: "Tell me about the sea." }];
    const greedy = await text(engine.generate({ messages, maxTokens: 8, temperature: 0 }));
    for (const temperature of [5e-324, 1e-300, 1e-30, 1e-6]) {
      expect(await text(engine.generate({ messages, maxTokens: 8, temperature, seed: 3 }))).toBe(greedy);
    }
  });
});
