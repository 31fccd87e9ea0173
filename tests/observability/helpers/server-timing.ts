// A strict Server-Timing parser for tests: `name(;dur=<number>|;desc="<text>")*` entries separated
// by commas; anything else fails the test.
import { expect } from "vitest";

export type ServerTiming = Record<string, { dur?: number; desc?: string }>;

export function parseServerTiming(header: string | null): ServerTiming {
  expect(header, "Server-Timing header").toBeTruthy();
  const metrics: ServerTiming = {};
  for (const entry of (header ?? "").split(",")) {
    const [name, ...params] = entry.trim().split(";");
    expect(name).toMatch(/^[a-z]+$/);
    const metric: { dur?: number; desc?: string } = {};
    for (const param of params) {
      const match = /^(dur|desc)=(?:"([^"]*)"|([0-9.]+))$/.exec(param.trim());
      expect(match, `bad Server-Timing param ${param}`).not.toBeNull();
      if (match?.[1] === "dur") metric.dur = Number(match[3]);
      else metric.desc = match?.[2] ?? match?.[3] ?? "";
    }
    metrics[name ?? ""] = metric;
  }
  return metrics;
}
