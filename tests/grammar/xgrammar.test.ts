// XGrammar (web build, loaded on Node through the build-time-extracted wasm and the instantiateWasm
// hook) against petrel-mini's byte-level BPE vocabulary: the vocabulary reads right (multi-byte text
// and spaces spelled as bytes), special tokens are never text, end-of-turn only once the grammar is
// complete; errors are GrammarErrors naming the param, and an aborting schema does not take the
// runtime down for the next request.
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { boundSpec } from "../../service/src/engine/grammar/bounds.js";
import { GrammarCache } from "../../service/src/engine/grammar/cache.js";
import {
  type GrammarCompiler,
  GrammarError,
  type GrammarSpec,
  type TokenMatcher,
} from "../../service/src/engine/grammar/types.js";
import { grammarVocabulary } from "../../service/src/engine/grammar/vocabulary.js";
import { maskAllows } from "../../service/src/engine/sampling/token-mask.js";
import { ModelTokenizer } from "../../service/src/engine/tokenizer.js";
import { nodeGrammar } from "../../service/src/grammar/node.js";
import { modelDir } from "../engine/helpers.js";

const tokenizerJson = JSON.parse(readFileSync(`${modelDir("petrel-mini")}/tokenizer.json`, "utf8"));
const tokenizer = new ModelTokenizer({ "tokenizer.json": tokenizerJson, "tokenizer_config.json": {} });
const EOS = [2, 0];
let compiler: GrammarCompiler;

beforeAll(async () => {
  compiler = await nodeGrammar().create(grammarVocabulary(tokenizerJson, 4096, EOS));
});

async function matcherFor(spec: GrammarSpec): Promise<TokenMatcher> {
  return (await compiler.compile(spec)).createMatcher();
}

/** Feeds the tokenizer's own ids for `text`; returns how many the grammar accepted in a row. */
function feed(matcher: TokenMatcher, text: string): { accepted: number; total: number } {
  const ids = tokenizer.encode(text);
  let accepted = 0;
  for (const id of ids) {
    if (!matcher.acceptToken(id)) break;
    accepted++;
  }
  return { accepted, total: ids.length };
}

const person = {
  type: "object",
  properties: {
    name: { type: "string" },
    age: { type: "integer" },
    mood: { enum: ["happy", "sad"] },
  },
  required: ["name", "age", "mood"],
  additionalProperties: false,
};

describe("XGrammar on petrel-mini's vocabulary", () => {
  it("reads byte-level tokens right: multi-byte text and spaces pass token by token", async () => {
    const m = await matcherFor({ kind: "json_schema", schema: person });
    const text = '{"name": "Zoë 😀 über", "age": 42, "mood": "happy"}';
    expect(feed(m, text)).toEqual({
      accepted: tokenizer.encode(text).length,
      total: tokenizer.encode(text).length,
    });
    const end = await m.nextTokenBitmask();
    // complete: only the end-of-turn ids remain
    const allowed = Array.from({ length: 4096 }, (_, id) => id).filter((id) => maskAllows(end, id));
    expect(allowed.sort()).toEqual([...EOS].sort());
    m.dispose();
  });

  it("rejects what the schema forbids (an enum value off the list, an extra key)", async () => {
    const m = await matcherFor({ kind: "json_schema", schema: person });
    const { accepted, total } = feed(m, '{"name": "a", "age": 1, "mood": "angry"}');
    expect(accepted).toBeLessThan(total);
    m.dispose();
  });

  it("never allows special tokens as text, and end-of-turn only when complete", async () => {
    const m = await matcherFor({
      kind: "json_schema",
      schema: { type: "object", properties: { s: { type: "string" } }, required: ["s"] },
    });
    feed(m, '{"s": "ab');
    const mask = await m.nextTokenBitmask();
    for (const id of [0, 1, 2]) expect(maskAllows(mask, id)).toBe(false);
    expect(maskAllows(mask, tokenizer.encode("c")[0] as number)).toBe(true);
    m.dispose();
  });

  it("json_object: any object, nothing else", async () => {
    const m = await matcherFor({ kind: "json_object" });
    expect(maskAllows(await m.nextTokenBitmask(), tokenizer.encode("[")[0] as number)).toBe(false);
    const text = '{"any": [1, {"x": null}], "k": true}';
    expect(feed(m, text).accepted).toBe(tokenizer.encode(text).length);
    m.dispose();
  });

  it("tool_calls: one call of a listed tool in the model's markup, arguments valid", async () => {
    const spec: GrammarSpec = {
      kind: "tool_calls",
      tools: [
        {
          name: "get_weather",
          parameters: {
            type: "object",
            properties: { city: { type: "string" } },
            required: ["city"],
            additionalProperties: false,
          },
        },
        {
          name: "add",
          parameters: {
            type: "object",
            properties: { a: { type: "integer" }, b: { type: "integer" } },
            required: ["a", "b"],
            additionalProperties: false,
          },
        },
      ],
      parallel: false,
      begin: "<tool_call>\n",
      end: "\n</tool_call>",
    };
    const good = await matcherFor(spec);
    const call = '<tool_call>\n{"name": "add", "arguments": {"a": 12, "b": 30}}\n</tool_call>';
    expect(feed(good, call).accepted).toBe(tokenizer.encode(call).length);
    const end = await good.nextTokenBitmask();
    expect(EOS.every((id) => maskAllows(end, id))).toBe(true);
    const unknown = await matcherFor(spec);
    const bad = '<tool_call>\n{"name": "delete_all", "arguments": {}}\n</tool_call>';
    expect(feed(unknown, bad).accepted).toBeLessThan(tokenizer.encode(bad).length);
    good.dispose();
    unknown.dispose();
  });

  it("a bounded free string: plain characters up to its length, never a raw control character", async () => {
    const bounds = { maxStringLength: 8, maxItems: 4, maxInteger: 99, maxCalls: 2 };
    const spec = boundSpec({ kind: "json_schema", schema: { type: "string" } }, bounds);
    const plain = await matcherFor(spec);
    expect(feed(plain, '"a b c"').accepted).toBe(tokenizer.encode('"a b c"').length);
    const tab = await matcherFor(spec);
    expect(feed(tab, '"a\tb"').accepted).toBeLessThan(tokenizer.encode('"a\tb"').length);
    const long = await matcherFor(spec);
    expect(feed(long, '"abcdefghij"').accepted).toBeLessThan(tokenizer.encode('"abcdefghij"').length);
    for (const m of [plain, tab, long]) m.dispose();
  });

  it("parallel tool_calls with maxCalls: up to that many calls, one per line, then only the end", async () => {
    const spec: GrammarSpec = {
      kind: "tool_calls",
      tools: [
        {
          name: "add",
          parameters: { type: "object", properties: { a: { type: "integer" } }, required: ["a"] },
        },
      ],
      parallel: true,
      begin: "<tool_call>\n",
      end: "\n</tool_call>",
      maxCalls: 2,
    };
    const call = (a: number) => `<tool_call>\n{"name": "add", "arguments": {"a": ${a}}}\n</tool_call>`;
    const one = await matcherFor(spec);
    expect(feed(one, call(1)).accepted).toBe(tokenizer.encode(call(1)).length);
    const afterOne = await one.nextTokenBitmask();
    expect(EOS.every((id) => maskAllows(afterOne, id))).toBe(true);
    expect(maskAllows(afterOne, tokenizer.encode("\n")[0] as number)).toBe(true);
    const two = await matcherFor(spec);
    const both = `${call(1)}\n${call(2)}`;
    expect(feed(two, both).accepted).toBe(tokenizer.encode(both).length);
    const mask = await two.nextTokenBitmask();
    expect(EOS.every((id) => maskAllows(mask, id))).toBe(true);
    expect(maskAllows(mask, tokenizer.encode("\n")[0] as number)).toBe(false);
    const spaced = await matcherFor(spec);
    const padded = '<tool_call>\n{"name": "add", "arguments": { "a": 1}}\n</tool_call>';
    expect(feed(spaced, padded).accepted).toBeLessThan(tokenizer.encode(padded).length);
    for (const m of [one, two, spaced]) m.dispose();
  });

  it("tool_calls with a trigger (tool_choice auto): free text may end, and the trigger only starts a valid call", async () => {
    const spec: GrammarSpec = {
      kind: "tool_calls",
      tools: [
        {
          name: "add",
          parameters: { type: "object", properties: { a: { type: "integer" } }, required: ["a"] },
        },
      ],
      parallel: false,
      begin: "<tool_call>\n",
      end: "\n</tool_call>",
      trigger: "<tool_call>",
    };
    const text = await matcherFor(spec);
    expect(feed(text, "The answer is 42.").accepted).toBe(tokenizer.encode("The answer is 42.").length);
    const end = await text.nextTokenBitmask();
    expect(EOS.every((id) => maskAllows(end, id))).toBe(true);
    const call = await matcherFor(spec);
    const good = 'Let me add.<tool_call>\n{"name": "add", "arguments": {"a": 2}}\n</tool_call>';
    expect(feed(call, good).accepted).toBe(tokenizer.encode(good).length);
    const wrong = await matcherFor(spec);
    const bad = 'Let me add.<tool_call>\n{"name": "sub", "arguments": {"a": 2}}\n</tool_call>';
    expect(feed(wrong, bad).accepted).toBeLessThan(tokenizer.encode(bad).length);
    for (const m of [text, call, wrong]) m.dispose();
  });
});

describe("schemas XGrammar cannot honour are GrammarErrors (HTTP 400) naming the param", () => {
  const refused = async (spec: GrammarSpec) => {
    const error = await compiler.compile(spec).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GrammarError);
    return error as GrammarError;
  };

  it("a keyword it would ignore, with where it is", async () => {
    const e = await refused({
      kind: "json_schema",
      schema: { type: "object", properties: { n: { type: "integer", multipleOf: 3 } } },
    });
    expect(e.param).toBe("response_format");
    expect(e.message).toMatch(/"multipleOf" \(at #\/properties\/n\)/);
  });

  it("a tool's parameters: param tools", async () => {
    const e = await refused({
      kind: "tool_calls",
      tools: [{ name: "f", parameters: { not: {} } }],
      parallel: false,
      begin: "<a>",
      end: "</a>",
    });
    expect(e.param).toBe("tools");
  });

  it("an abort inside XGrammar (bad regex): its own words, no source path; the next compile still works", async () => {
    const e = await refused({ kind: "json_schema", schema: { type: "string", pattern: "(" } });
    expect(e.message).toMatch(/Regex parsing error.*parenthesis is not closed/);
    expect(e.message).not.toMatch(/\.cc|\/Users\/|FATAL/);
    const m = await matcherFor({ kind: "json_schema", schema: person });
    const text = '{"name": "x", "age": 1, "mood": "sad"}';
    expect(feed(m, text).accepted).toBe(tokenizer.encode(text).length);
    m.dispose();
  });

  it("a part XGrammar warns it skips (a remote $ref)", async () => {
    const e = await refused({ kind: "json_schema", schema: { $ref: "https://example.com/schema.json" } });
    expect(e.message).toMatch(/URI/);
  });
});

describe("GrammarCache", () => {
  it("compiles a spec once, keeps at most `capacity`, least recently used out, never keeps a failure", async () => {
    const cache = new GrammarCache(async () => compiler, 2);
    const a: GrammarSpec = { kind: "json_schema", schema: { type: "integer" } };
    const b: GrammarSpec = { kind: "json_schema", schema: { type: "boolean" } };
    const c: GrammarSpec = { kind: "json_object" };
    await Promise.all([cache.get(a), cache.get(a)]);
    expect(cache.compilations).toBe(1);
    await cache.get(b);
    await cache.get(a); // a is now the most recent
    await cache.get(c); // evicts b
    expect(cache.size).toBe(2);
    await cache.get(a);
    expect(cache.compilations).toBe(3);
    await cache.get(b);
    expect(cache.compilations).toBe(4);
    await expect(cache.get({ kind: "json_schema", schema: { not: {} } })).rejects.toBeInstanceOf(
      GrammarError,
    );
    expect(cache.size).toBe(2);
  });
});
