import {
  type ByteLevelBpeTokenizer,
  createPolicyServer,
  type DecoderModel,
  type PolicyServer,
} from "@hdpo/policy";
import { createTestModel, TEST_CORPUS, trainTestTokenizer } from "@hdpo/policy/testing";
import { useBackend } from "@hdpo/tensor";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OpenAIChatPolicy } from "./openai-chat-policy";
import { OpenAICompletionsPolicy } from "./openai-completions-policy";

let server: PolicyServer;
let model: DecoderModel;
let tokenizer: ByteLevelBpeTokenizer;
let baseURL: string;

beforeAll(async () => {
  await useBackend("wasm");
  // The first three texts (no tool result) twelve times, 320 ids, 128 positions: the sizes this test was written for.
  tokenizer = trainTestTokenizer({ corpus: TEST_CORPUS.slice(0, 3), documents: 12, vocabSize: 320 });
  model = createTestModel(tokenizer, { maxPositions: 128, seed: 7 });
  server = createPolicyServer({ model, tokenizer, modelName: "tiny-policy", maxRequestTokens: 2000 });
  baseURL = (await server.listen(0, "127.0.0.1")).url;
});

afterAll(async () => {
  await server?.close();
  model?.dispose();
});

const request = {
  messages: [
    { role: "system" as const, content: "You are a policy." },
    { role: "user" as const, content: "Hello world" },
  ],
  sampling: { maxTokens: 12, temperature: 1, seed: 11 },
};

describe("against @hdpo/policy's real OpenAI-compatible server", () => {
  it("chat policy discovers the model and gets a seeded turn with one log-prob per generated token", async () => {
    const policy = new OpenAIChatPolicy({ baseURL });
    expect(await policy.model()).toBe("tiny-policy");
    const turn = await policy.generate(request);
    const again = await policy.generate(request);
    expect(again).toEqual(turn); // same seed, same turn
    expect(turn.logProbs!.length).toBeGreaterThan(0);
    expect(turn.logProbs!.length).toBeLessThanOrEqual(12);
    expect(turn.logProbs!.every((lp) => Number.isFinite(lp) && lp <= 0)).toBe(true);
    expect(turn.tokenIds).toBeUndefined(); // this server names tokens by text, not token_id:<n>
  });

  it("completions policy returns token ids that decode to the text, with their log-probs (greedy)", async () => {
    const policy = new OpenAICompletionsPolicy({ baseURL, tokenizer });
    const turn = await policy.generate({ ...request, sampling: { maxTokens: 6, temperature: 0 } });
    expect(turn.finishReason).toBe("length");
    expect(turn.tokenIds).toHaveLength(6);
    expect(tokenizer.decode(turn.tokenIds!)).toBe(turn.text);
    expect(turn.tokenIds!.map((id) => tokenizer.encode(tokenizer.decode([id])))).toEqual(
      turn.tokenIds!.map((id) => [id]),
    );
    expect(turn.logProbs).toEqual([0, 0, 0, 0, 0, 0]); // greedy: the sampled token has probability 1
  });

  it("completions policy refuses to guess ids of partial-UTF-8 tokens this server names only by text", async () => {
    // A random tiny model samples lone byte tokens at temperature 1; their text is U+FFFD, which has no one id.
    const policy = new OpenAICompletionsPolicy({ baseURL, tokenizer });
    await expect(
      policy.generate({ ...request, sampling: { maxTokens: 12, temperature: 1, seed: 0 } }),
    ).rejects.toThrow(/re-encodes to \d+ ids, so its id is unknown/);
  });
});
