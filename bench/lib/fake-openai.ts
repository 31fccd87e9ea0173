// An OpenAI-compatible upstream that answers at once from precomputed bytes, so a gateway benchmark
// measures the gateway and not a model. Streams: role, one content chunk, finish, usage, [DONE] in
// one write. Also answers the health probes each backend kind uses. Runs as its own process:
//   npx tsx bench/lib/fake-openai.ts [--port 0]   (prints "listening on http://127.0.0.1:PORT")
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";

const { values } = parseArgs({ options: { port: { type: "string", default: "0" } } });
const created = Math.floor(Date.now() / 1000);
const usage = { prompt_tokens: 8, completion_tokens: 2, total_tokens: 10 };
const chunk = (choices: unknown[], extra: object = {}) =>
  `data: ${JSON.stringify({ id: "chatcmpl-fake", object: "chat.completion.chunk", created, model: "fake", choices, ...extra })}\n\n`;

const streamBody = Buffer.from(
  chunk([{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }]) +
    chunk([{ index: 0, delta: { content: "Hello!" }, finish_reason: null }]) +
    chunk([{ index: 0, delta: {}, finish_reason: "stop" }]) +
    chunk([], { usage }) +
    "data: [DONE]\n\n",
);
const jsonBody = Buffer.from(
  JSON.stringify({
    id: "chatcmpl-fake",
    object: "chat.completion",
    created,
    model: "fake",
    choices: [{ index: 0, message: { role: "assistant", content: "Hello!" }, finish_reason: "stop" }],
    usage,
  }),
);
const models = Buffer.from(
  JSON.stringify({ object: "list", data: [{ id: "fake", object: "model", created }] }),
);

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (d: Buffer) => chunks.push(d));
  req.on("end", () => {
    if (req.method === "POST" && req.url?.endsWith("/chat/completions")) {
      // Only the "stream" flag matters; a substring test avoids parsing on the hot path.
      const stream = /"stream"\s*:\s*true/.test(Buffer.concat(chunks).toString());
      res.writeHead(200, { "content-type": stream ? "text/event-stream" : "application/json" });
      res.end(stream ? streamBody : jsonBody);
    } else if (req.url?.endsWith("/models")) {
      res.writeHead(200, { "content-type": "application/json" }).end(models);
    } else {
      res.writeHead(200, { "content-type": "text/plain" }).end("ok");
    }
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(values.port), "127.0.0.1", () => {
  console.log(`fake upstream listening on http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
