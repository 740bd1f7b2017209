import { useBackend } from "@hdpo/tensor";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalPolicy } from "./local-policy";
import type { DecoderModel } from "./model/decoder-model";
import { createTestModel, trainTestTokenizer } from "./test-fixtures";
import type { ByteLevelBpeTokenizer } from "./tokenizer/byte-level-bpe-tokenizer";

let tokenizer: ByteLevelBpeTokenizer;
let model: DecoderModel;

beforeAll(async () => {
  await useBackend("wasm");
  tokenizer = trainTestTokenizer();
  model = createTestModel(tokenizer);
});
afterAll(() => model.dispose());

const messages = [
  { role: "system" as const, content: "You are an efficient problem-solving agent." },
  { role: "user" as const, content: "What is 6 * 7?" },
];

describe("LocalPolicy", () => {
  it("returns the turn's exact tokens and sampling log-probs, consistent with teacher-forced scoring", async () => {
    const policy = new LocalPolicy({ model, tokenizer, name: "tiny" });
    const turn = await policy.generate({
      messages,
      sampling: { maxTokens: 12, seed: 5, temperature: 1, topP: 1 },
    });
    expect(policy.name).toBe("tiny");
    expect(turn.tokenIds!.length).toBeGreaterThan(0);
    expect(turn.tokenIds!.length).toBeLessThanOrEqual(12);
    expect(turn.logProbs).toHaveLength(turn.tokenIds!.length);
    expect(turn.finishReason === "length").toBe(turn.tokenIds!.length === 12);

    // The sampling log-probs (temperature 1, top-p 1) are the model's own log-probs of those tokens.
    const prompt = tokenizer.encode(
      "<|im_start|>system\nYou are an efficient problem-solving agent.<|im_end|>\n" +
        "<|im_start|>user\nWhat is 6 * 7?<|im_end|>\n<|im_start|>assistant\n",
    );
    const scored = model.logProbs({
      sequences: [[...prompt, ...turn.tokenIds!]],
      promptLengths: [prompt.length],
    });
    const teacherForced = (await scored.logProbs.array())[0]!.slice(0, turn.tokenIds!.length);
    scored.logProbs.dispose();
    scored.mask.dispose();
    teacherForced.forEach((value, i) => {
      expect(Math.abs(value - turn.logProbs![i]!)).toBeLessThan(1e-4);
    });

    const eos = new Set(tokenizer.eosTokenIds);
    const textIds = eos.has(turn.tokenIds!.at(-1)!) ? turn.tokenIds!.slice(0, -1) : turn.tokenIds!;
    expect(turn.text).toBe(tokenizer.decode(textIds, { skipSpecialTokens: true }));
  });

  it("is reproducible for a seed and varies without one", async () => {
    const policy = new LocalPolicy({ model, tokenizer, seed: 1 });
    const sampling = { maxTokens: 10, temperature: 1, topP: 1 };
    const a = await policy.generate({ messages, sampling: { ...sampling, seed: 9 } });
    const b = await policy.generate({ messages, sampling: { ...sampling, seed: 9 } });
    expect(b.tokenIds).toEqual(a.tokenIds);
    const unseeded = await Promise.all(
      Array.from({ length: 4 }, () => policy.generate({ messages, sampling })),
    );
    expect(new Set(unseeded.map((t) => t.tokenIds!.join(","))).size).toBeGreaterThan(1);
  });

  it("refuses a conversation that does not fit the context, saying what to do", async () => {
    const policy = new LocalPolicy({ model, tokenizer });
    const long = [{ role: "user" as const, content: "hello world ".repeat(200) }];
    await expect(policy.generate({ messages: long, sampling: { maxTokens: 4 } })).rejects.toThrow(
      /at or over the model's max_position_embeddings \(96\); shorten it/,
    );
  });

  it("continues from the caller's exact token ids when given, even a non-canonical tokenization", async () => {
    const policy = new LocalPolicy({ model, tokenizer });
    const canonical = tokenizer.encode(
      "<|im_start|>system\nYou are an efficient problem-solving agent.<|im_end|>\n" +
        "<|im_start|>user\nWhat is 6 * 7?<|im_end|>\n<|im_start|>assistant\n",
    );
    // Ids that `messages` do not render to: if the policy re-encoded the messages, its sampling log-probs would
    // not match teacher forcing on these ids.
    const spelt = [...canonical.slice(0, -3), ...tokenizer.encode("<|im_start|>").slice(0, 1)];
    const sampling = { maxTokens: 6, seed: 3, temperature: 1, topP: 1 };
    const fromIds = await policy.generate({ messages, sampling, promptTokenIds: spelt });
    const scored = model.logProbs({
      sequences: [[...spelt, ...fromIds.tokenIds!]],
      promptLengths: [spelt.length],
    });
    const teacherForced = (await scored.logProbs.array())[0]!.slice(0, fromIds.tokenIds!.length);
    scored.logProbs.dispose();
    scored.mask.dispose();
    teacherForced.forEach((value, i) => {
      expect(Math.abs(value - fromIds.logProbs![i]!)).toBeLessThan(1e-4);
    });
    await expect(policy.generate({ messages, sampling, promptTokenIds: [1, 99_999] })).rejects.toThrow(
      /prompt token 1 = 99999 is not a token id of this model/,
    );
  });
});
