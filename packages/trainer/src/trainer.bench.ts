import type { LearnerAdamParams } from "@hdpo/core";
import { createJudge } from "@hdpo/judge";
import { TfjsLearner } from "@hdpo/learner";
import { useBackend } from "@hdpo/tensor";
import { InProcessToolExecutor } from "@hdpo/tools";
import { bench, describe } from "vitest";
import { chatEncoding } from "./chat-encoding";
import { rlStep } from "./rl-step";
import { sftExample } from "./sft-example";
import { sftStep } from "./sft-step";
import { tinyPipeline } from "./test-fixtures";
import { parseRlSettings } from "./trainer-config";

// One SFT step (batch 4) and one RL step (B = 2, G = 4, real tools, rules judge) on the tiny test model
// (hidden 16, 1 layer, vocab 600), wasm. The model gets 40 SFT steps first so that rollouts have the format.
await useBackend("wasm");
const pipeline = await tinyPipeline(4);
const encoding = chatEncoding(pipeline.tokenizer);
const examples = pipeline.demos
  .filter((d) => d.task.question.length < 200)
  .map((d) => sftExample(d.prompt, d.trajectory.turns, encoding));
const model = pipeline.createModel(5);
const adam = (learningRate: number): LearnerAdamParams => ({
  learningRate,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-7,
  weightDecay: 0,
  gradClipNorm: 1,
});
const warmup = new TfjsLearner({ model, tokenizer: pipeline.tokenizer });
for (let i = 0; i < 40; i++) await sftStep(warmup, examples.slice(0, 4), adam(0.03));
await warmup.close();
const sftLearner = new TfjsLearner({ model, tokenizer: pipeline.tokenizer });
const rlLearner = new TfjsLearner({ model, tokenizer: pipeline.tokenizer });
const settings = parseRlSettings({
  batchPrompts: 2,
  groupSize: 4,
  maxResponseTokens: 192,
  maxObservationTokens: 48,
});
let step = 0;

describe("trainer steps (wasm, tiny model)", () => {
  bench(
    "sftStep, batch 4",
    async () => {
      await sftStep(sftLearner, examples.slice(0, 4), adam(1e-3));
    },
    { iterations: 10, warmupIterations: 2 },
  );

  bench(
    "rlStep, B = 2, G = 4",
    async () => {
      await rlStep(
        {
          learner: rlLearner,
          tokenizer: pipeline.tokenizer,
          tools: new InProcessToolExecutor(pipeline.runtime),
          judge: createJudge(),
          tasks: pipeline.suite.tasks.train.filter((t) => t.question.length < 200),
          systemPrompt: pipeline.system,
          seed: 1,
          step: step++,
        },
        settings,
      );
    },
    {
      iterations: 5,
      warmupIterations: 1,
      teardown: async () => {
        await pipeline.runtime.shutdown();
      },
    },
  );
});
