// A fake DecoderSession whose "model" emits a fixed token script: the token chosen after position p
// is script[p + 1 − promptLength], for every row of a batch (read from its position_ids). Used where
// a real random-weight model cannot be made to produce a given text (exact multi-byte characters, a
// stop string split across tokens); everything else in the engine — tokenizer, detokenizer, stop
// strings, sampling, batch scheduler — is real.
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
        // one kv head of one dim, so the engine's cache matches what run() hands back
        inputMetadata: pastNames.map((name) => ({
          name,
          shape: ["batch_size", 1, "past_sequence_length", 1],
        })),
        outputNames: ["logits", ...pastNames.map((n) => n.replace("past_key_values", "present"))],
        int64: tensor,
        float32: tensor,
        async run(feeds) {
          factory.runs++;
          await options.beforeRun?.();
          const [batch, seq] = (feeds.input_ids as FakeTensor).dims as [number, number];
          const width = (feeds.attention_mask as FakeTensor).dims[1] as number; // (B, C+T)
          const positions = (feeds.position_ids as FakeTensor).data as BigInt64Array; // (B, T)
          const V = options.vocabSize;
          const logits = new Float32Array(batch * seq * V);
          for (let b = 0; b < batch; b++) {
            const last = Number(positions[b * seq + seq - 1]);
            const next = options.script[last + 1 - options.promptLength] ?? 0;
            // a clear peak, yet every token keeps some probability (for sampling and logprobs)
            logits[(b * seq + seq - 1) * V + next] = 20;
          }
          const outputs: Record<string, SessionTensor> = { logits: tensor(logits, [batch, seq, V]) };
          // a (B, 1, C+T, 1) cache of zeros: the engine only carries it from step to step
          for (const name of pastNames)
            outputs[name.replace("past_key_values", "present")] = tensor(new Float32Array(batch * width), [
              batch,
              1,
              width,
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
