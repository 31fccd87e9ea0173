// The README's Worker example, run for real in workerd: a Worker that uses the SDK to stream a
// completion from Petrel and relays it to its caller as NDJSON (`stream.toReadableStream()`).
// Imports the SDK's source; wrangler bundles it exactly as it would bundle the package.
import { APIError, Petrel } from "../../../sdk/src/index.js";

interface Env {
  PETREL_URL: string;
  PETREL_KEY: string;
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    if (request.method === "GET") return new Response("ok"); // /health for the test helper
    const client = new Petrel({ baseURL: env.PETREL_URL, apiKey: env.PETREL_KEY });
    const { model, prompt } = (await request.json()) as { model: string; prompt: string };
    try {
      const stream = await client.chat.completions.create(
        {
          model,
          messages: [{ role: "user", content: prompt }],
          max_tokens: 12,
          temperature: 0,
          stream: true,
        },
        { signal: request.signal },
      );
      return new Response(stream.toReadableStream(), { headers: { "content-type": "application/x-ndjson" } });
    } catch (error) {
      if (!(error instanceof APIError)) throw error;
      const body = { error: error.message, class: error.name, code: error.code, requestId: error.requestId };
      return Response.json(body, { status: error.status ?? 502 });
    }
  },
};
