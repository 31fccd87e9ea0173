// The Worker's decision to build its embedded engine at isolate start (service/src/entry/preload.ts).
import { describe, expect, it } from "vitest";
import { preloadWanted } from "../../service/src/entry/preload.js";

const on = { PETREL_PRELOAD: "1" };

describe("preloadWanted", () => {
  it("is off unless PETREL_PRELOAD=1", () => {
    expect(preloadWanted({})).toBe(false);
    expect(preloadWanted({ PETREL_PRELOAD: "0" })).toBe(false);
  });

  it("preloads the bundled model when asked and no backends are configured", () => {
    expect(preloadWanted({ PETREL_PRELOAD: "1" })).toBe(true);
    expect(preloadWanted({ PETREL_PRELOAD: "1", PETREL_BACKENDS: "" })).toBe(true);
  });

  it("preloads when a configured model uses the embedded backend (JSON text or object)", () => {
    const config = { models: { m: { backends: [{ url: "http://x" }, { kind: "embedded" }] } } };
    expect(preloadWanted({ ...on, PETREL_BACKENDS: JSON.stringify(config) })).toBe(true);
    expect(preloadWanted({ ...on, PETREL_BACKENDS: config })).toBe(true);
    expect(
      preloadWanted({ ...on, PETREL_BACKENDS: '{"models":{"m":{"backends":[{"kind" : "embedded"}]}}}' }),
    ).toBe(true);
  });

  it("does not preload for a gateway-only config", () => {
    const upstreams = { models: { m: { backends: [{ kind: "vllm", url: "http://embedded.example" }] } } };
    expect(preloadWanted({ ...on, PETREL_BACKENDS: JSON.stringify(upstreams) })).toBe(false);
  });
});
