// Pure text logic, property-tested: stop-string holdback and UTF-8-safe incremental decoding
// (with the real byte-level BPE tokenizer of tiny-random).
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { ByteStreamDetokenizer, IncrementalDetokenizer } from "../../service/src/engine/detokenizer.js";
import { StopStringMatcher } from "../../service/src/engine/stop-strings.js";
import { ModelTokenizer } from "../../service/src/engine/tokenizer.js";
import { readModelDir } from "../../service/src/ort/node-files.js";
import { modelDir } from "./helpers.js";

/** Splits text into chunks at the given cut points. */
function chunk(text: string, cuts: number[]): string[] {
  const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
  const parts: string[] = [];
  let last = 0;
  for (const p of points) {
    parts.push(text.slice(last, p));
    last = p;
  }
  parts.push(text.slice(last));
  return parts;
}

describe("stop-string holdback", () => {
  const alphabet = fc.constantFrom("a", "b", "c", "ab", "😀", "中");
  const text = fc.array(alphabet, { maxLength: 30 }).map((parts) => parts.join(""));

  it("stops at the first chunk that completes a stop string, emits exactly the text before it, never a stop string", () => {
    fc.assert(
      fc.property(
        text,
        fc.array(
          text.filter((s) => s.length > 0),
          { minLength: 1, maxLength: 3 },
        ),
        fc.array(fc.nat(), { maxLength: 10 }),
        (t, stops, cuts) => {
          const matcher = new StopStringMatcher(stops);
          let emitted = "";
          let stopped = false;
          for (const part of chunk(t, cuts)) {
            const scan = matcher.push(part);
            for (const s of stops) expect(scan.emit.includes(s) && !stopped).toBe(false);
            emitted += scan.emit;
            if (scan.stopped) {
              stopped = true;
              break;
            }
          }
          if (!stopped) emitted += matcher.flush();
          // Generation stops at the first chunk after which the text holds a stop string, and cuts
          // at the earliest match in the text so far: with overlapping stops ("aba", "b") a later
          // chunk could have completed one that starts earlier, but that chunk is never generated.
          let seen = "";
          let cut = t.length;
          for (const part of chunk(t, cuts)) {
            seen += part;
            const firsts = stops.map((s) => seen.indexOf(s)).filter((i) => i >= 0);
            if (firsts.length > 0) {
              cut = Math.min(...firsts);
              break;
            }
          }
          expect(emitted).toBe(t.slice(0, cut));
          expect(stopped).toBe(stops.some((s) => t.includes(s)));
        },
      ),
    );
  });
});

describe("incremental detokenizer", () => {
  let tokenizer: ModelTokenizer;
  beforeAll(async () => {
    tokenizer = new ModelTokenizer(await readModelDir(modelDir("tiny-random")));
  });

  it("deltas of any valid text are whole characters that concatenate to the text", () => {
    // U+FFFD is what an incomplete character would leak as, so the text itself must not hold one
    // (fast-check's grapheme strings include it: seed 1754686290 drew "\uFFFD")
    const texts = fc.string({ unit: "grapheme", maxLength: 40 }).filter((t) => !t.includes("\uFFFD"));
    fc.assert(
      fc.property(texts, (text) => {
        const ids = tokenizer.encode(text);
        const detok = new IncrementalDetokenizer((x) => tokenizer.decode(x));
        const deltas = ids.map((id) => detok.push(id));
        deltas.push(detok.flush());
        expect(deltas.join("")).toBe(tokenizer.decode(ids));
        for (const d of deltas) expect(d).not.toContain("\uFFFD");
      }),
      { numRuns: 200 },
    );
  });

  it("a 4-byte emoji spelled by several tokens comes out once, whole", () => {
    const ids = tokenizer.encode("🎉");
    expect(ids.length).toBeGreaterThan(1);
    const detok = new IncrementalDetokenizer((x) => tokenizer.decode(x));
    const deltas = ids.map((id) => detok.push(id));
    expect(deltas.filter((d) => d !== "")).toEqual(["🎉"]);
  });
});

describe("byte-stream detokenizer (byte-level BPE, one id at a time)", () => {
  const tokenizers: Record<string, ModelTokenizer> = {};
  beforeAll(async () => {
    for (const model of ["tiny-random", "petrel-mini"])
      tokenizers[model] = new ModelTokenizer(await readModelDir(modelDir(model)));
  });

  const run = (tokenizer: ModelTokenizer, ids: number[]) => {
    if (!tokenizer.pieces) throw new Error("not a byte-level tokenizer");
    const detok = new ByteStreamDetokenizer(tokenizer.pieces);
    const deltas = ids.map((id) => detok.push(id));
    deltas.push(detok.flush());
    return deltas;
  };

  // any ids at all: specials (skipped), petrel-mini's non-special <tool_call> (verbatim), lone
  // continuation bytes and cut-off characters (U+FFFD), as the tokenizer's own decode gives them
  // (a few ids past the vocabulary too: they decode as nothing)
  it.each([
    ["tiny-random", 1024],
    ["petrel-mini", 4096],
  ])("%s: any id sequence joins to the tokenizer's decode", (model, vocab) => {
    const tokenizer = tokenizers[model] as ModelTokenizer;
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: vocab + 3 }), { maxLength: 40 }), (ids) => {
        expect(run(tokenizer, ids).join("")).toBe(tokenizer.decode(ids));
      }),
      { numRuns: 300 },
    );
  });

  it("petrel-mini: a character cut off by an added token decodes as the tokenizer's decode does", () => {
    const tokenizer = tokenizers["petrel-mini"] as ModelTokenizer;
    const pieces = tokenizer.pieces as NonNullable<ModelTokenizer["pieces"]>;
    // a token spelling one UTF-8 lead byte: a character that the next token must complete
    const lead = Array.from({ length: 4096 }, (_, id) => id).find((id) => {
      const piece = pieces(id);
      return piece instanceof Uint8Array && piece.length === 1 && (piece[0] as number) >= 0xc2;
    }) as number;
    const call = tokenizer.tokenToId("<tool_call>") as number;
    const ids = [lead, call, lead, lead];
    expect(tokenizer.decode(ids)).toBe("\uFFFD<tool_call>\uFFFD\uFFFD");
    expect(run(tokenizer, ids).join("")).toBe(tokenizer.decode(ids));
  });

  it("petrel-mini: deltas of valid text are whole characters; an added token comes out as its text", () => {
    const tokenizer = tokenizers["petrel-mini"] as ModelTokenizer;
    const texts = fc.string({ unit: "grapheme", maxLength: 40 }).filter((t) => !t.includes("\uFFFD"));
    fc.assert(
      fc.property(texts, texts, (a, b) => {
        const ids = tokenizer.encode(`${a}<tool_call>${b}<|im_end|>`);
        const deltas = run(tokenizer, ids);
        expect(deltas.join("")).toBe(`${a}<tool_call>${b}`);
        for (const d of deltas) expect(d).not.toContain("\uFFFD");
      }),
      { numRuns: 200 },
    );
  });
});
