import { type GeneratedSequence, type GenerateOptions, generate } from "../model/generate";
import type { GenerateFunction } from "./generation-batcher";

export { createTestModel, trainTestTokenizer } from "../test-fixtures";

/** One recorded `generate` call. */
export interface RecordedCall {
  prompts: number[][];
  options: GenerateOptions;
  sequences: GeneratedSequence[];
}

/** The real `generate`, recording every call (the server's batching seam). */
export function recordingGenerate(): { generate: GenerateFunction; calls: RecordedCall[] } {
  const calls: RecordedCall[] = [];
  return {
    calls,
    generate: (model, prompts, options) => {
      const sequences = generate(model, prompts, options);
      calls.push({ prompts: prompts.map((p) => [...p]), options, sequences });
      return sequences;
    },
  };
}
