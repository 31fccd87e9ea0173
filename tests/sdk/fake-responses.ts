// Responses and a client factory shared by the scripted-server (fake) suites.
import { Petrel } from "../../sdk/src/index.js";
import type { ScriptedServer, Step } from "./scripted-server.js";

export const completion = {
  id: "chatcmpl-1",
  object: "chat.completion",
  created: 1,
  model: "m",
  choices: [
    {
      index: 0,
      message: { role: "assistant", content: "hi", refusal: null },
      finish_reason: "stop",
      logprobs: null,
    },
  ],
  usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
};
export const ok: Step = { status: 200, headers: { "x-request-id": "req_ok" }, body: completion };
export const params = { model: "m", messages: [{ role: "user" as const, content: "hi" }] };
export const errorBody = (code: string) => ({
  error: { message: `failed: ${code}`, type: "t", param: "p", code },
});

export function makeClient(server: ScriptedServer, options: ConstructorParameters<typeof Petrel>[0] = {}) {
  // retry-after-ms: 1 on every scripted error keeps the suite quick without changing the policy.
  return new Petrel({ baseURL: server.baseURL, apiKey: "sk-test", maxRetries: 2, ...options });
}
export const fastError = (status: number, headers: Record<string, string> = {}): Step => ({
  status,
  headers: { "retry-after-ms": "1", "x-request-id": `req_${status}`, ...headers },
  body: errorBody(String(status)),
});
