import { useBackend } from "@hdpo/tensor";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DecoderModel } from "../model/decoder-model";
import { generate } from "../model/generate";
import { PolicyError } from "../policy-error";
import type { ByteLevelBpeTokenizer } from "../tokenizer/byte-level-bpe-tokenizer";
import { GenerationBatcher, type GenerationJob } from "./generation-batcher";
import { createTestModel, type RecordedCall, recordingGenerate, trainTestTokenizer } from "./test-fixtures";

let tokenizer: ByteLevelBpeTokenizer;
let model: DecoderModel;

beforeAll(async () => {
  await useBackend("cpu");
  tokenizer = trainTestTokenizer();
  model = createTestModel(tokenizer);
});
afterAll(() => model.dispose());

function batcher(maxBatchSize = 8): { batcher: GenerationBatcher; calls: RecordedCall[] } {
  const recorder = recordingGenerate();
  const b = new GenerationBatcher({
    model,
    codec: tokenizer,
    generate: recorder.generate,
    maxBatchSize,
    batchWindowMs: 100,
    baseSeed: 1,
  });
  return { batcher: b, calls: recorder.calls };
}

const settings = { temperature: 1, topP: 1, maxTokens: 3, stop: [] };
const job = (text: string, extra: Partial<GenerationJob> = {}): GenerationJob => ({
  prompts: [tokenizer.encode(text)],
  settings,
  ...extra,
});

describe("GenerationBatcher", () => {
  it("runs jobs with the same settings in one call and the others in the next", async () => {
    const { batcher: b, calls } = batcher();
    const results = await Promise.all([
      b.submit(job("a")),
      b.submit(job("b", { settings: { ...settings, temperature: 0.5 } })),
      b.submit({ prompts: [tokenizer.encode("c"), tokenizer.encode("d")], settings }),
      b.submit(job("e", { settings: { ...settings, stop: ["x"] } })),
    ]);
    expect(calls.map((c) => c.prompts.map((p) => tokenizer.decode(p)))).toEqual([
      ["a", "c", "d"],
      ["b"],
      ["e"],
    ]);
    expect(results.map((r) => r.length)).toEqual([1, 1, 2, 1]);
    expect(results[2]).toEqual(calls[0]!.sequences.slice(1, 3));
    expect(calls[1]!.options.temperature).toBe(0.5);
    expect(calls[2]!.options.stop).toEqual(["x"]);
  });

  it("flushes at maxBatchSize without waiting for the window, and splits what does not fit", async () => {
    const { batcher: b, calls } = batcher(2);
    // The queue reaching 2 rows runs a batch at once; the third waits for the window.
    await Promise.all([b.submit(job("a")), b.submit(job("b")), b.submit(job("c"))]);
    expect(calls.map((c) => c.prompts.length)).toEqual([2, 1]);
  });

  it("runs a seeded job alone with its own seed, so it matches a direct call", async () => {
    const { batcher: b, calls } = batcher();
    const [, seeded] = await Promise.all([
      b.submit(job("a")),
      b.submit(job("b", { seed: 42 })),
      b.submit(job("c")),
    ]);
    expect(calls.map((c) => c.prompts.length)).toEqual([2, 1]);
    const direct = generate(model, [tokenizer.encode("b")], { ...settings, seed: 42, codec: tokenizer });
    expect(seeded).toEqual(direct);
  });

  it("rejects only the failing batch's jobs", async () => {
    const b = new GenerationBatcher({
      model,
      codec: tokenizer,
      generate: (m, prompts, options) => {
        if (options.temperature === 0.5) throw new Error("boom");
        return generate(m, prompts, options);
      },
      maxBatchSize: 8,
      batchWindowMs: 0,
      baseSeed: 1,
    });
    const [bad, good] = await Promise.allSettled([
      b.submit(job("a", { settings: { ...settings, temperature: 0.5 } })),
      b.submit(job("b")),
    ]);
    expect(bad.status).toBe("rejected");
    expect(good.status).toBe("fulfilled");
  });

  it("rejects waiting jobs on close and new ones afterwards", async () => {
    const { batcher: b, calls } = batcher();
    const waiting = b.submit(job("a"));
    b.close();
    await expect(waiting).rejects.toThrow(PolicyError);
    await expect(b.submit(job("b"))).rejects.toThrow(/closed/);
    expect(calls).toHaveLength(0);
  });

  it("refuses bad options and oversized jobs", async () => {
    expect(() => batcher(0)).toThrow(/maxBatchSize/);
    const { batcher: b } = batcher(1);
    await expect(b.submit({ prompts: [[1], [2]], settings })).rejects.toThrow(/1 to maxBatchSize \(1\)/);
    b.close();
  });
});
