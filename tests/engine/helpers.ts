// Shared by the engine suites: golden files, engines on each flavour, and event collection.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  type BatchingOptions,
  createEngine,
  type GenerateEvent,
  type OnnxVariant,
  type PetrelEngine,
  type SessionFactory,
  type Usage,
} from "../../service/src/engine/index.js";
import { readModelDir } from "../../service/src/ort/node-files.js";

export const modelDir = (model: string) => fileURLToPath(new URL(`../../models/${model}`, import.meta.url));

export interface GoldenCase {
  name: string;
  messages?: { role: "user" | "system" | "assistant"; content: string }[] | null;
  prompt: string;
  input_ids: number[];
  greedy_ids: number[];
  max_new_tokens: number;
}

export function readGolden(model: string): { cases: GoldenCase[]; eos_token_ids?: number[] } {
  return JSON.parse(readFileSync(`${modelDir(model)}/golden.json`, "utf8"));
}

export async function engineOn(
  model: string,
  sessions: SessionFactory,
  variant: OnnxVariant = "int8",
  batching?: BatchingOptions,
): Promise<PetrelEngine> {
  const files = await readModelDir(modelDir(model), variant);
  return createEngine({ id: model, files, sessions, variant, batching });
}

export interface Collected {
  texts: string[];
  ids: number[][];
  deltas: string[][];
  finish: (string | undefined)[];
  usage?: Usage;
  events: GenerateEvent[];
}

export function collectEvents(events: GenerateEvent[]): Collected {
  const out: Collected = { texts: [], ids: [], deltas: [], finish: [], events };
  for (const event of events) {
    if (event.type === "usage") out.usage = event.usage;
    else if (event.type === "finish") out.finish[event.index] = event.finishReason;
    else {
      out.texts[event.index] = (out.texts[event.index] ?? "") + event.text;
      out.ids[event.index] = [...(out.ids[event.index] ?? []), ...event.tokenIds];
      out.deltas[event.index] = [...(out.deltas[event.index] ?? []), event.text];
    }
  }
  return out;
}

export async function collect(stream: AsyncIterable<GenerateEvent>): Promise<Collected> {
  const events: GenerateEvent[] = [];
  for await (const event of stream) events.push(event);
  return collectEvents(events);
}

/** Greedy ids for one golden case: the golden prompt ids in, at most max_new_tokens out. */
export async function greedyIds(engine: PetrelEngine, c: GoldenCase): Promise<number[]> {
  const result = await collect(
    engine.generateFromIds(c.input_ids, { temperature: 0, maxTokens: c.max_new_tokens }),
  );
  return result.ids[0] ?? [];
}

/** PyTorch's greedy ids cut where the engine legitimately stops (an eos id ends the stream). */
export function expectedGreedy(c: GoldenCase, eosIds: number[]): number[] {
  const stopAt = c.greedy_ids.findIndex((id) => eosIds.includes(id));
  return stopAt < 0 ? c.greedy_ids : c.greedy_ids.slice(0, stopAt);
}
