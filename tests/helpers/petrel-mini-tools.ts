// The two tools petrel-mini was trained to call (model-export/petrel_export/tool_content.py: a calculator
// and a weather lookup with an enum argument), as zod schemas for the AI SDK, as Responses function
// tools for the openai package, and a check of a call's arguments against the tool's JSON Schema.
import { type Schema, Validator } from "@cfworker/json-schema";
import { expect } from "vitest";
import { z } from "zod";

export const toolSchemas = {
  calculator: z.object({ expression: z.string() }),
  get_weather: z.object({ city: z.string(), unit: z.enum(["celsius", "fahrenheit"]) }),
};
export type ToolName = keyof typeof toolSchemas;
const names = Object.keys(toolSchemas) as ToolName[];

export const toolDescriptions: Record<ToolName, string> = {
  calculator: "Evaluate an arithmetic expression.",
  get_weather: "Get the current weather in a city.",
};

const jsonSchemas = Object.fromEntries(
  names.map((name) => [name, z.toJSONSchema(toolSchemas[name]) as Record<string, unknown>]),
) as Record<ToolName, Record<string, unknown>>;

export const responsesTools = names.map((name) => ({
  type: "function" as const,
  name,
  description: toolDescriptions[name],
  parameters: jsonSchemas[name],
  strict: true,
}));

/** Fails unless `name` is one of the tools and `args` is JSON valid against its JSON Schema. */
export function expectValidArguments(name: string, args: string) {
  expect(names, `a call to ${name}`).toContain(name);
  const schema = jsonSchemas[name as ToolName] as Schema;
  const result = new Validator(schema, "2020-12", false).validate(JSON.parse(args));
  expect(result.valid, `${name}(${args}): ${JSON.stringify(result.errors)}`).toBe(true);
}
