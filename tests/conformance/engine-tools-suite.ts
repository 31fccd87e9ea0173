// Tools and structured outputs on Petrel's own engine, through the client packages agent frameworks
// build on: the AI SDK (generateObject with a zod schema; generateText running a tool over two steps),
// LangChain's ChatOpenAI (bindTools, withStructuredOutput) and the official openai package
// (chat.completions.parse with zodResponseFormat; tool calls streamed and not; tool_choice required and
// named). Sampled at temperature 1 with seeds; every object and every call's arguments is checked with
// its zod schema, and every response the clients saw against the contract. Each runtime's test file
// runs the suite against its real server.
import { createOpenAI } from "@ai-sdk/openai";
import { ChatOpenAI } from "@langchain/openai";
import { generateObject, generateText, stepCountIs, tool } from "ai";
import OpenAI from "openai";
import { zodFunction, zodResponseFormat } from "openai/helpers/zod";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { type RecordingFetch, recordingFetch } from "../helpers/recording-fetch.js";

export interface EngineTarget {
  url: string;
  model: string;
}

const SEEDS = [1, 2, 3, 4, 5];
const Pet = z.object({ name: z.string(), legs: z.number().int(), kind: z.enum(["cat", "dog", "bird"]) });
const AddArgs = z.object({ a: z.number().int(), b: z.number().int() });
const CityArgs = z.object({ city: z.string() });
const petPrompt = "Describe a pet as JSON.";
const addPrompt = "What is 12 + 30?";

export function describeEngineTools(name: string, target: () => EngineTarget) {
  const recorder: RecordingFetch = recordingFetch();
  const baseURL = () => `${target().url}/v1`;
  const openai = () =>
    new OpenAI({ baseURL: baseURL(), apiKey: "sk-local", maxRetries: 0, fetch: recorder.fetch });
  const provider = () => createOpenAI({ baseURL: baseURL(), apiKey: "sk-local", fetch: recorder.fetch });
  const langchain = (seed: number) =>
    new ChatOpenAI({
      model: target().model,
      apiKey: "sk-local",
      temperature: 1,
      maxRetries: 0,
      modelKwargs: { seed },
      configuration: { baseURL: baseURL(), fetch: recorder.fetch },
    });
  const openaiTools = [
    zodFunction({ name: "add", parameters: AddArgs }),
    zodFunction({ name: "weather", parameters: CityArgs }),
  ];
  const argsOf = (name: string) => (name === "add" ? AddArgs : CityArgs).strict();

  afterEach(async () => {
    expect(await recorder.check()).toBeGreaterThan(0);
  });

  describe(`AI SDK on ${name}`, () => {
    it("generateObject() with a zod schema: every seeded object validates", async () => {
      for (const seed of SEEDS) {
        const { object } = await generateObject({
          model: provider().chat(target().model),
          schema: Pet,
          prompt: petPrompt,
          temperature: 1,
          seed,
          maxRetries: 0,
        });
        expect(Pet.strict().safeParse(object).success).toBe(true);
      }
    });

    it("generateText() runs a tool: the call validates, its result goes back, the last step answers", async () => {
      const ran: unknown[] = [];
      const result = await generateText({
        model: provider().chat(target().model),
        prompt: addPrompt,
        tools: {
          add: tool({
            inputSchema: AddArgs,
            execute: async (input) => {
              ran.push(input);
              return input.a + input.b;
            },
          }),
        },
        prepareStep: ({ stepNumber }) => ({ toolChoice: stepNumber === 0 ? "required" : "none" }),
        stopWhen: stepCountIs(2),
        temperature: 1,
        seed: 1,
        maxRetries: 0,
      });
      expect(result.steps).toHaveLength(2);
      expect(result.steps[0]?.finishReason).toBe("tool-calls");
      expect(ran.length).toBeGreaterThan(0);
      expect(ran).toHaveLength(result.steps[0]?.toolCalls.length ?? -1);
      for (const input of ran) expect(AddArgs.strict().safeParse(input).success).toBe(true);
      expect(result.steps[1]?.toolCalls).toEqual([]);
      expect(typeof result.text).toBe("string");
    });
  });

  describe(`LangChain ChatOpenAI on ${name}`, () => {
    it("bindTools() with tool_choice required: the AIMessage's tool_calls validate", async () => {
      for (const seed of SEEDS.slice(0, 3)) {
        const model = langchain(seed).bindTools(
          [
            { name: "add", description: "Adds two integers", schema: AddArgs },
            { name: "weather", description: "Weather in a city", schema: CityArgs },
          ],
          { tool_choice: "required" },
        );
        const message = await model.invoke(addPrompt);
        expect(message.tool_calls?.length).toBeGreaterThan(0);
        for (const call of message.tool_calls ?? [])
          expect(argsOf(call.name).safeParse(call.args).success, JSON.stringify(call)).toBe(true);
      }
    });

    it("withStructuredOutput(zod): every seeded object validates", async () => {
      for (const seed of SEEDS.slice(0, 3)) {
        const object = await langchain(seed).withStructuredOutput(Pet, { name: "pet" }).invoke(petPrompt);
        expect(Pet.strict().safeParse(object).success, JSON.stringify(object)).toBe(true);
      }
    });
  });

  describe(`official openai package on ${name}`, () => {
    it("chat.completions.parse() with zodResponseFormat: message.parsed validates for every seed", async () => {
      for (const seed of SEEDS) {
        const completion = await openai().chat.completions.parse({
          model: target().model,
          messages: [{ role: "user", content: petPrompt }],
          response_format: zodResponseFormat(Pet, "pet"),
          temperature: 1,
          seed,
        });
        expect(Pet.strict().safeParse(completion.choices[0]?.message.parsed).success).toBe(true);
      }
    });

    it("tool calls, not streamed: required gives valid calls; named gives exactly that function", async () => {
      for (const seed of SEEDS.slice(0, 3)) {
        for (const choice of ["required", { type: "function", function: { name: "weather" } }] as const) {
          const completion = await openai().chat.completions.create({
            model: target().model,
            messages: [{ role: "user", content: addPrompt }],
            tools: openaiTools,
            tool_choice: choice,
            temperature: 1,
            seed,
          });
          const [first] = completion.choices;
          expect(first?.finish_reason).toBe("tool_calls");
          expect(first?.message.content).toBeNull();
          const calls = (first?.message.tool_calls ?? []).flatMap((c) => (c.type === "function" ? [c] : []));
          expect(calls.length).toBeGreaterThan(0);
          if (typeof choice === "object") expect(calls.map((c) => c.function.name)).toEqual(["weather"]);
          for (const { function: f } of calls)
            expect(argsOf(f.name).safeParse(JSON.parse(f.arguments)).success).toBe(true);
        }
      }
    });

    it("tool calls streamed: ChatCompletionStream assembles them and its parsed arguments validate", async () => {
      for (const seed of SEEDS.slice(0, 3)) {
        const stream = openai().chat.completions.stream({
          model: target().model,
          messages: [{ role: "user", content: addPrompt }],
          tools: openaiTools,
          tool_choice: "required",
          temperature: 1,
          seed,
        });
        const done: { name: string; parsed: unknown }[] = [];
        stream.on("tool_calls.function.arguments.done", (e) =>
          done.push({ name: e.name, parsed: e.parsed_arguments }),
        );
        const final = await stream.finalChatCompletion();
        expect(final.choices[0]?.finish_reason).toBe("tool_calls");
        expect(done.length).toBe(final.choices[0]?.message.tool_calls?.length);
        for (const { name, parsed } of done) expect(argsOf(name).safeParse(parsed).success).toBe(true);
      }
    });
  });
}
