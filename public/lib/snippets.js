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

/** A JS object literal with unquoted keys where they are identifiers (the way people write it). */
function literal(value, indent = "") {
  const inner = `${indent}  `;
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

export function sdkSnippet(baseURL, body, withKey) {
  const { stream: _stream, stream_options: _options, ...params } = body;
  const options = [`baseURL: ${JSON.stringify(baseURL)}`];
  if (withKey) options.push("apiKey: process.env.PETREL_API_KEY");
  return [
    `import { Petrel } from "@petrel/sdk";`,
    "",
    `const client = new Petrel({ ${options.join(", ")} });`,
    "",
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
