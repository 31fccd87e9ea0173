// "Copy as curl / SDK code": the request the page would send, as a shell command and as TypeScript
// using @petrel/sdk. The API key is referenced as $PETREL_API_KEY, never copied out of the page.

/** POSIX shell single-quoting: close, escape, reopen. */
const shellQuote = (text) => `'${text.replaceAll("'", "'\\''")}'`;

/** @param {string} baseURL e.g. https://host/v1 @param {object} body the chat completion request */
export function curlSnippet(baseURL, body, withKey) {
  const lines = [
    `curl ${shellQuote(`${baseURL}/chat/completions`)}`,
    `  -H 'Content-Type: application/json'`,
  ];
  if (withKey) lines.push(`  -H "Authorization: Bearer $PETREL_API_KEY"`);
  if (body.stream) lines.push("  -N");
  lines.push(`  -d ${shellQuote(JSON.stringify(body, null, 2))}`);
  return lines.join(" \\\n");
}

/** Code that goes into a literal as written, not as JSON. */
const raw = (code) => ({ [RAW]: code });
const RAW = Symbol("raw");

/** A JS object literal with unquoted keys where they are identifiers (the way people write it). */
function literal(value, indent = "") {
  const inner = `${indent}  `;
  if (value?.[RAW]) return value[RAW];
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    return `[\n${value.map((v) => inner + literal(v, inner)).join(",\n")},\n${indent}]`;
  }
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value).map(([k, v]) => {
      const key = /^[A-Za-z_$][\w$]*$/.test(k) ? k : JSON.stringify(k);
      return `${inner}${key}: ${literal(v, inner)}`;
    });
    return entries.length === 0 ? "{}" : `{\n${entries.join(",\n")},\n${indent}}`;
  }
  return JSON.stringify(value);
}

export function sdkSnippet(baseURL, body, withKey, mode = "chat") {
  const { stream: _stream, stream_options: _options, tools, response_format: format, ...params } = body;
  const options = [`baseURL: ${JSON.stringify(baseURL)}`];
  if (withKey) options.push("apiKey: process.env.PETREL_API_KEY");
  const head = [`const client = new Petrel({ ${options.join(", ")} });`, ""];
  if (mode === "structured") return structuredSnippet(head, params, format);
  if (mode === "tools") return toolsSnippet(head, params, tools ?? []);
  return [
    `import { Petrel } from "@petrel/sdk";`,
    "",
    ...head,
    `const stream = await client.chat.completions.stream(${literal(params)});`,
    "for await (const chunk of stream) {",
    `  process.stdout.write(chunk.choices[0]?.delta?.content ?? "");`,
    "}",
    "const { usage } = await stream.finalChatCompletion();",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the snippet's own template literal, as text
    "console.log(`\\n${usage?.completion_tokens} tokens`);",
    "",
  ].join("\n");
}

function structuredSnippet(head, params, format) {
  const { name, schema } = format.json_schema;
  const request = { ...params, response_format: raw(`responseFormat(schema, ${JSON.stringify(name)})`) };
  return [
    `import { Petrel, responseFormat } from "@petrel/sdk";`,
    `import { jsonSchema } from "@petrel/sdk/json-schema";`,
    "",
    ...head,
    `const schema = jsonSchema(${literal(schema)});`,
    `const completion = await client.chat.completions.parse(${literal(request)});`,
    "console.log(completion.choices[0]?.message.parsed); // checked against the schema",
    "",
  ].join("\n");
}

function toolsSnippet(head, params, tools) {
  const names = tools.map((t) => t.function.name);
  const definitions = tools.map(({ function: { name, description, parameters } }) => {
    const run = "(args) => JSON.stringify(args) /* your code: its result goes back to the model */";
    const spec = {
      name,
      description,
      parameters: raw(`jsonSchema(${literal(parameters, "  ")})`),
      run: raw(run),
    };
    return `const ${name} = defineTool(${literal(spec)});`;
  });
  const request = { ...params, tools: raw(`[${names.join(", ")}]`), stream: true };
  return [
    `import { Petrel } from "@petrel/sdk";`,
    `import { jsonSchema } from "@petrel/sdk/json-schema";`,
    `import { defineTool, runTools } from "@petrel/sdk/tools";`,
    "",
    ...head,
    ...definitions,
    "",
    `const runner = runTools(client, ${literal(request)});`,
    "for await (const event of runner) {",
    `  if (event.type === "tool_call") console.log("\\n→", event.call.function.name, event.arguments);`,
    `  if (event.type === "chunk") process.stdout.write(event.chunk.choices[0]?.delta?.content ?? "");`,
    "}",
    "",
  ].join("\n");
}
