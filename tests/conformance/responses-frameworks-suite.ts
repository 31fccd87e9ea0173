// The Responses API as the frameworks use it, one suite each runtime's test file runs against its real
// server: the AI SDK's default OpenAI provider (`createOpenAI(...)(model)` speaks /v1/responses) with
// generateText and streamText, and LangChain's ChatOpenAI with `useResponsesApi: true` (invoke,
// stream). Both reach the server through a recording fetch; every response is checked against the
// contract after each test.
import { createOpenAI } from "@ai-sdk/openai";
import { ChatOpenAI } from "@langchain/openai";
import { generateText, streamText } from "ai";
import OpenAI from "openai";
import { afterEach, describe, expect, it } from "vitest";
import { type RecordingFetch, recordingFetch } from "../helpers/recording-fetch.js";
import type { ResponsesTarget } from "./responses-openai-suite.js";

const PROMPT = "Tell me about the harbour.";

export function describeFrameworkResponses(name: string, target: () => ResponsesTarget) {
  const recorder: RecordingFetch = recordingFetch();
  let validated = 0;
  const provider = () =>
    createOpenAI({ baseURL: `${target().url}/v1`, apiKey: target().keys.a, fetch: recorder.fetch });
  const chatOpenAI = () =>
    new ChatOpenAI({
      model: target().model,
      apiKey: target().keys.a,
      useResponsesApi: true,
      temperature: 0,
      maxTokens: target().maxOutputTokens,
      maxRetries: 0,
      configuration: { baseURL: `${target().url}/v1`, fetch: recorder.fetch },
    });
  /** The same request through the official package: the answer every framework must reproduce. */
  const reference = () =>
    new OpenAI({
      baseURL: `${target().url}/v1`,
      apiKey: target().keys.a,
      fetch: recorder.fetch,
    }).responses.create({
      model: target().model,
      input: PROMPT,
      temperature: 0,
      max_output_tokens: target().maxOutputTokens,
    });

  afterEach(async () => {
    validated += await recorder.check();
  });

  describe(`AI SDK (@ai-sdk/openai default provider) on ${name}`, () => {
    it("generateText() gets the greedy answer, its usage and the stored response's id", async () => {
      const expected = await reference();
      const result = await generateText({
        model: provider()(target().model),
        prompt: PROMPT,
        temperature: 0,
        maxOutputTokens: target().maxOutputTokens,
        maxRetries: 0,
      });
      expect(result.text).toBe(expected.output_text);
      expect(result.usage.inputTokens).toBe(expected.usage?.input_tokens);
      expect(result.usage.outputTokens).toBe(expected.usage?.output_tokens);
      expect(result.finishReason).toBe(expected.status === "completed" ? "stop" : "length");
      const id = result.providerMetadata?.openai?.responseId;
      expect(id).toMatch(/^resp_/);
      expect(result.response.id).toBe(id);
    });

    it("streamText() streams the same text and ends with the same usage", async () => {
      const expected = await reference();
      const result = streamText({
        model: provider()(target().model),
        prompt: PROMPT,
        temperature: 0,
        maxOutputTokens: target().maxOutputTokens,
        maxRetries: 0,
        onError: () => {}, // errors surface through the awaited promises below
      });
      const parts: string[] = [];
      for await (const part of result.textStream) parts.push(part);
      expect(parts.length).toBeGreaterThan(1);
      expect(parts.join("")).toBe(expected.output_text);
      expect((await result.usage).outputTokens).toBe(expected.usage?.output_tokens);
      expect(await result.finishReason).toBe(expected.status === "completed" ? "stop" : "length");
    });
  });

  describe(`LangChain ChatOpenAI({ useResponsesApi: true }) on ${name}`, () => {
    it("invoke() returns the greedy answer as an AIMessage with usage and the response id", async () => {
      const expected = await reference();
      const message = await chatOpenAI().invoke(PROMPT);
      expect(message.text).toBe(expected.output_text);
      expect(message.id).toMatch(/^(resp|msg)_/);
      expect(message.response_metadata).toMatchObject({ model_provider: "openai" });
      expect(message.usage_metadata).toMatchObject({
        input_tokens: expected.usage?.input_tokens,
        output_tokens: expected.usage?.output_tokens,
      });
    });

    it("stream() yields chunks that concatenate to the same answer", async () => {
      const expected = await reference();
      const chunks: string[] = [];
      let usage: { output_tokens?: number } | undefined;
      for await (const chunk of await chatOpenAI().stream(PROMPT)) {
        chunks.push(chunk.text);
        usage = chunk.usage_metadata ?? usage;
      }
      expect(chunks.filter((c) => c !== "").length).toBeGreaterThan(1);
      expect(chunks.join("")).toBe(expected.output_text);
      expect(usage?.output_tokens).toBe(expected.usage?.output_tokens);
    });

    it("every response and stream event the frameworks saw matched the contract", () => {
      expect(validated).toBeGreaterThanOrEqual(8);
    });
  });
}
