// A fake DecoderSession whose "model" emits a fixed token script: the token chosen at position p
// is script[p − promptLength]. Used where a real random-weight model cannot be made to produce a
// given text (exact multi-byte characters, a stop string split across tokens); everything else in
// the engine — tokenizer, detokenizer, stop strings, sampling, queue — is real.
import type { DecoderSession, SessionFactory, SessionTensor } from "../../service/src/engine/index.js";

interface FakeTensor extends SessionTensor {
  dims: number[];
  data: Float32Array | BigInt64Array;
}

export interface ScriptOptions {
  script: number[];
  promptLength: number;
  vocabSize: number;
  numLayers: number;
  /** Resolves before each run returns, so tests can interleave requests. */
  beforeRun?: () => Promise<void>;
}

export function fakeScriptedSessions(options: ScriptOptions): SessionFactory & { runs: number } {
  const factory = {
    name: "fake-scripted",
    runs: 0,
    async create(): Promise<DecoderSession> {
      const pastNames: string[] = [];
      for (let i = 0; i < options.numLayers; i++)
        pastNames.push(`past_key_values.${i}.key`, `past_key_values.${i}.value`);
      const tensor = (data: Float32Array | BigInt64Array, dims: readonly number[]): FakeTensor => ({
        data,
        dims: [...dims],
      });
      return {
        inputNames: ["input_ids", "attention_mask", "position_ids", ...pastNames],
        outputNames: ["logits", ...pastNames.map((n) => n.replace("past_key_values", "present"))],
        int64: tensor,
        float32: tensor,
        async run(feeds) {
          factory.runs++;
          await options.beforeRun?.();
          const total = (feeds.attention_mask as FakeTensor).dims[1] as number;
          const seq = (feeds.input_ids as FakeTensor).dims[1] as number;
          const logits = new Float32Array(seq * options.vocabSize);
          const next = options.script[total - options.promptLength] ?? 0;
          // a clear peak, yet every token keeps some probability (for sampling and logprobs)
          logits[(seq - 1) * options.vocabSize + next] = 20;
          const outputs: Record<string, SessionTensor> = {
            logits: tensor(logits, [1, seq, options.vocabSize]),
          };
          for (const name of pastNames)
            outputs[name.replace("past_key_values", "present")] = tensor(new Float32Array(0), [
              1,
              1,
              total,
              1,
            ]);
          return outputs;
        },
        async release() {},
      };
    },
  };
  return factory;
}
