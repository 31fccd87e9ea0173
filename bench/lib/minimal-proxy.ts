// The floor a gateway is measured against: the least a Node proxy can do and still be one. A
// `node:http` server that forwards POST bodies to one upstream with the runtime's own `fetch` and
// pipes the answer back byte for byte: no routing, validation, retries, timeouts, metering or logs.
//   npx tsx bench/lib/minimal-proxy.ts --upstream http://127.0.0.1:PORT [--port 0]
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: { upstream: { type: "string" }, port: { type: "string", default: "0" } },
});
if (!values.upstream) throw new Error("--upstream is required");
const upstream = values.upstream;

const server = createServer(async (req, res) => {
  try {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (req.headers.authorization) headers.authorization = req.headers.authorization;
    const up = await fetch(`${upstream}${req.url}`, {
      method: req.method,
      headers,
      body: req.method === "POST" ? Buffer.concat(chunks) : undefined,
    });
    res.writeHead(up.status, { "content-type": up.headers.get("content-type") ?? "application/json" });
    const reader = up.body?.getReader();
    for (let r = await reader?.read(); r && !r.done; r = await reader?.read()) res.write(r.value);
    res.end();
  } catch (err) {
    res.writeHead(502).end(String(err));
  }
});
server.keepAliveTimeout = 60_000;
server.listen(Number(values.port), "127.0.0.1", () => {
  console.log(`minimal proxy listening on http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
