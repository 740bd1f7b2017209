import type { Learner, Message, Policy, PolicyTurn } from "@hdpo/core";
import { TfjsLearner } from "@hdpo/learner";
import {
  type ByteLevelBpeTokenizer,
  createPolicyServer,
  type DecoderModel,
  type PolicyServer,
} from "@hdpo/policy";
import { createTestModel, trainTestTokenizer } from "@hdpo/policy/testing";
import { useBackend } from "@hdpo/tensor";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chatEncoding } from "../chat-encoding";
import { learnerSamplerPolicy } from "../policy-source";
import { TurnSeededPolicy } from "../turn-seeded-policy";
import { parseRunConfig } from "./run-config";
import { policySourceFor } from "./run-sampler";

// Rollouts from OpenAI-compatible endpoints (`sampler.endpoints`) against the learner's own sampler: the same model
// behind both, so a token-exact client must get the same turns, token for token, from either.

let tokenizer: ByteLevelBpeTokenizer;
let model: DecoderModel;
let server: PolicyServer;
let learner: TfjsLearner;
let baseURL: string;

beforeAll(async () => {
  await useBackend("cpu");
  tokenizer = trainTestTokenizer();
  model = createTestModel(tokenizer, { maxPositions: 256 });
  learner = new TfjsLearner({ model, tokenizer });
  server = createPolicyServer({ model, tokenizer, modelName: "policy", maxBatchSize: 4 });
  baseURL = (await server.listen(0, "127.0.0.1")).url;
});

afterAll(async () => {
  await server.close();
  await learner.close();
  model.dispose();
});

/** The learner, counting how often its weights were pushed to its sampler. */
function countingPushes(inner: Learner): { learner: Learner; pushes: () => number } {
  let pushes = 0;
  const learner = Object.create(inner) as Learner;
  learner.samplerForCurrentWeights = async () => {
    pushes++;
    return inner.samplerForCurrentWeights();
  };
  return { learner, pushes: () => pushes };
}

/** Two turns of one conversation: the second continues the first's exact ids and an encoded observation. */
async function twoTurns(policy: Policy, key: string): Promise<PolicyTurn[]> {
  const encoding = chatEncoding(tokenizer);
  const messages: Message[] = [
    { role: "system", content: "You answer briefly." },
    { role: "user", content: `What is ${key.length} plus 7?` },
  ];
  // The agent loop stops every turn at a tool call's end.
  const sampling = { temperature: 1, topP: 1, maxTokens: 12, stop: ["</tool_call>"] };
  const prompt = encoding.encodePrompt(messages);
  const first = await policy.generate({ messages, sampling, affinityKey: key, promptTokenIds: prompt });
  const observation = encoding.encodeObservation("<tool_response>12</tool_response>", []);
  const next: Message[] = [
    ...messages,
    { role: "assistant", content: first.text },
    { role: "tool", content: "12" },
  ];
  const second = await policy.generate({
    messages: next,
    sampling,
    affinityKey: key,
    promptTokenIds: [...prompt, ...first.tokenIds!, ...observation],
  });
  return [first, second];
}

describe("policySourceFor", () => {
  it("is the learner's own sampler without sampler.endpoints", () => {
    expect(policySourceFor(parseRunConfig({}))).toBe(learnerSamplerPolicy);
  });

  it("samples from the endpoints what the learner's sampler samples, token for token, after pushing the weights", async () => {
    const source = policySourceFor(
      parseRunConfig({ sampler: { endpoints: [baseURL], model: "policy" } }),
      {},
    );
    const { learner: counted, pushes } = countingPushes(learner);
    const remote = new TurnSeededPolicy(await source(counted, tokenizer, "rollouts"), 7);
    expect(pushes()).toBe(1);
    const local = new TurnSeededPolicy(await learnerSamplerPolicy(learner, tokenizer, "rollouts"), 7);
    let compared = 0;
    for (const key of ["rl-0-a-0", "rl-0-b-1", "rl-0-c-2"]) {
      const [fromEndpoint, fromLearner] = [await twoTurns(remote, key), await twoTurns(local, key)];
      for (let turn = 0; turn < 2; turn++) {
        const a = fromEndpoint[turn]!;
        const b = fromLearner[turn]!;
        expect(a.tokenIds, `${key} turn ${turn}`).toEqual(b.tokenIds);
        expect(a.finishReason).toBe(b.finishReason);
        for (let i = 0; i < b.logProbs!.length; i++) {
          expect(a.logProbs![i]).toBeCloseTo(b.logProbs![i]!, 4);
        }
        compared += b.tokenIds!.length;
      }
    }
    // Enough sampled tokens that agreement is not an accident of one short draw.
    expect(compared).toBeGreaterThan(30);
    // The next step asks again: the weights are pushed again, the policy (and its replicas' state) is the same.
    const again = await source(counted, tokenizer, "rollouts");
    expect(pushes()).toBe(2);
    expect(again).toBe(await source(counted, tokenizer, "rollouts"));
  });
});
