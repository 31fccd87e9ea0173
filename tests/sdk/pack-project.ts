// Files of the scratch project the pack test installs the SDK tarball into: an example that uses
// the public API the way the README does, and a file that must NOT type-check (proof the types bite).

export const packageJSON = JSON.stringify(
  { name: "petrel-sdk-scratch", private: true, type: "module" },
  null,
  2,
);

export const tsconfig = JSON.stringify(
  {
    compilerOptions: {
      target: "ES2022",
      module: "NodeNext",
      moduleResolution: "NodeNext",
      strict: true,
      outDir: "out",
      types: [],
      lib: ["ES2022", "DOM"],
      skipLibCheck: false,
    },
    include: ["example.ts"],
  },
  null,
  2,
);

export const example = `
import Petrel, { APIError, NotFoundError, Petrel as Named, type ChatCompletion, type ChatCompletionStream, responseFormat } from "@petrel/sdk";
import { jsonSchema } from "@petrel/sdk/json-schema";
import { defineTool, runTools } from "@petrel/sdk/tools";

// No options: baseURL and apiKey come from PETREL_BASE_URL / PETREL_API_KEY.
const client: Named = new Petrel({ maxRetries: 1 });
const messages = [{ role: "user" as const, content: "Hello" }];

const completion = await client.chat.completions.create({ model: "petrel-mini", messages });
const plain: ChatCompletion = completion;
const stream: ChatCompletionStream = await client.chat.completions.create({ model: "petrel-mini", messages, stream: true });
let streamed = "";
for await (const chunk of stream) streamed += chunk.choices[0]?.delta.content ?? "";
const models = await client.models.list();

let notFound: string | null = null;
try {
  await client.models.retrieve("nope");
} catch (error) {
  if (error instanceof NotFoundError && error instanceof APIError) notFound = error.code;
}
// The JSON Schema entry loads and checks on every supported Node (no server needed).
const Forecast = jsonSchema<{ city: string }>({ type: "object", properties: { city: { type: "string" } } });
const format = responseFormat(Forecast, "forecast");
const echo = defineTool({ name: "echo", parameters: Forecast, run: ({ city }) => city.toUpperCase() });
const runner = runTools(client, { model: "m", messages, tools: [echo] });
runner.abort(); // never sent: the entry loads and the types line up
const checked = await Forecast["~standard"].validate({ city: 7 });
console.log(JSON.stringify({
  format: JSON.parse(JSON.stringify(format)),
  issues: checked.issues,
  content: plain.choices[0]?.message.content,
  requestId: completion._request_id,
  streamed,
  models: models.data.map((m) => m.id),
  notFound,
}));
`;

/** Each line must be a type error; the test checks tsc reports every one of them. */
export const badTypes = `
import { Petrel, responseFormat } from "@petrel/sdk";
const client = new Petrel();
await client.chat.completions.create({ model: "m", messages: [{ role: "robot", content: "x" }] });
const id: number = (await client.models.retrieve("m")).id;
const s = await client.chat.completions.create({ model: "m", messages: [], stream: true });
s.choices;
import { jsonSchema } from "@petrel/sdk/json-schema"; import { defineTool } from "@petrel/sdk/tools";
defineTool({ name: "t", parameters: jsonSchema<{ a: number }>({}), run: ({ a }) => a.toUpperCase() });
const format = responseFormat(jsonSchema<{ n: number }>({}), "x");
const n: string | undefined = (await client.chat.completions.parse({ model: "m", messages: [], response_format: format })).choices[0]?.message.parsed?.n;
`;
