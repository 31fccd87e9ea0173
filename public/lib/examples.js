// The playground's two worked examples, each a few calls into @petrel/sdk:
//   structured output  parse() with a JSON schema the person can edit, checked in the page
//   tools              runTools() with two local functions: a calculator and a seabird lookup
// The calculator evaluates arithmetic with a small parser, never eval (the page's CSP forbids it too).

import { defineTool, jsonSchema, responseFormat, runTools } from "../generated/petrel-sdk.js";

export const EXAMPLES = {
  chat: { prompt: "", help: "" },
  structured: {
    prompt: "Describe the storm petrel.",
    help: "The answer must be JSON matching the schema below; the page checks it (parse()).",
  },
  tools: {
    prompt: "What is 1234 * 5678, and how wide are an albatross's wings?",
    help: "The model may call calculator(expression) and seabird_facts(species); the page runs them (runTools()).",
  },
};

export const DEFAULT_SCHEMA = JSON.stringify(
  {
    type: "object",
    properties: {
      name: { type: "string" },
      wingspan_cm: { type: "integer" },
      habitat: { type: "string", enum: ["open ocean", "coast", "inland"] },
      facts: { type: "array", items: { type: "string" }, maxItems: 3 },
    },
    required: ["name", "wingspan_cm", "habitat", "facts"],
    additionalProperties: false,
  },
  null,
  2,
);

/** `+ - * /`, parentheses, decimals, unary minus; throws on anything else. */
export function calculate(expression) {
  const tokens = expression.match(/\d+(?:\.\d+)?|[-+*/()]|\S/g) ?? [];
  let at = 0;
  const peek = () => tokens[at];
  const take = () => tokens[at++];
  const number = () => {
    const token = take();
    if (token === "-") return -number();
    if (token === "(") {
      const value = sum();
      if (take() !== ")") throw new Error("missing )");
      return value;
    }
    if (token === undefined || !/^\d/.test(token)) throw new Error(`unexpected '${token ?? "end"}'`);
    return Number(token);
  };
  const product = () => {
    let value = number();
    while (peek() === "*" || peek() === "/") value = take() === "*" ? value * number() : value / number();
    return value;
  };
  const sum = () => {
    let value = product();
    while (peek() === "+" || peek() === "-") value = take() === "+" ? value + product() : value - product();
    return value;
  };
  const value = sum();
  if (at !== tokens.length) throw new Error(`unexpected '${peek()}'`);
  return value;
}

const SEABIRDS = {
  "storm petrel": { wingspan_cm: 38, weight_g: 26, range: "North Atlantic and Mediterranean" },
  albatross: { wingspan_cm: 310, weight_g: 9000, range: "Southern Ocean" },
  shearwater: { wingspan_cm: 80, weight_g: 450, range: "North Atlantic, wintering off South America" },
  puffin: { wingspan_cm: 55, weight_g: 500, range: "North Atlantic coasts" },
};

export const TOOLS = [
  defineTool({
    name: "calculator",
    description: "Evaluates an arithmetic expression with + - * / and parentheses",
    parameters: jsonSchema({
      type: "object",
      properties: { expression: { type: "string", description: "e.g. 1234 * 5678" } },
      required: ["expression"],
      additionalProperties: false,
    }),
    run: ({ expression }) => ({ value: calculate(expression) }),
  }),
  defineTool({
    name: "seabird_facts",
    description: "Wingspan, weight and range of a seabird",
    parameters: jsonSchema({
      type: "object",
      properties: { species: { type: "string", enum: Object.keys(SEABIRDS) } },
      required: ["species"],
      additionalProperties: false,
    }),
    run: ({ species }) => ({ species, ...SEABIRDS[species] }),
  }),
];

/** Request fields the example adds: the wire form, as sent and as shown in "copy as code". */
export function exampleParams(mode, schemaText) {
  if (mode === "tools") return { tools: TOOLS.map(({ type, function: fn }) => ({ type, function: fn })) };
  if (mode === "structured")
    return { response_format: responseFormat(jsonSchema(readSchema(schemaText)), "answer") };
  return {};
}

/** The schema box as JSON, or an error that says what is wrong with it. */
export function readSchema(text) {
  try {
    const schema = JSON.parse(text);
    if (schema && typeof schema === "object" && !Array.isArray(schema)) return schema;
  } catch (err) {
    throw new Error(`The JSON schema is not valid JSON: ${err.message}`);
  }
  throw new Error("The JSON schema must be a JSON object.");
}

/** parse(): one non-streamed answer, checked against the schema (StructuredOutputError if not). */
export function askStructured(client, request, signal) {
  return client.chat.completions.parse(request, { signal });
}

/** runTools(): streamed rounds; the caller pulls the events. Local tools replace the wire copies. */
export function askWithTools(client, request, signal) {
  return runTools(client, { ...request, tools: TOOLS, stream: true }, { signal, maxRounds: 5 });
}
