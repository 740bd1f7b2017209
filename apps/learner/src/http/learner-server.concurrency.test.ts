import { TfjsLearner } from "@hdpo/learner";
import { DecoderModel, loadPolicy } from "@hdpo/policy";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adam, learnerDatum, tinkerDatum } from "../test-support/datums";
import { BASE_NAME, freshStateDir, type RunningLearner, startLearner } from "../test-support/learner-fixture";
import { type TinyCheckpoint, tinyCheckpoint } from "../test-support/tiny-checkpoint";

// 32 clients at once, each with its own session and model and its own data: the requests of all of them interleave
// on the server, yet each model must end exactly where the same requests run alone (in-process) end.

const CLIENTS = 32;
const STEPS = 2;

let checkpoint: TinyCheckpoint;
let learner: RunningLearner;
const texts = [
  "Hello world, hello learner.",
  "<reason>The tool is not needed here.</reason><answer>42</answer>",
  "The quick brown fox jumps over the lazy dog.",
  '<tool_call>{"name":"python"}</tool_call>',
];

beforeAll(async () => {
  checkpoint = await tinyCheckpoint();
  learner = await startLearner(checkpoint.directory, freshStateDir(checkpoint.root));
});

afterAll(async () => {
  await learner?.close();
  await checkpoint?.remove();
});

/** Client k's data: its own sequence and weights, and its own learning rate. */
function workload(k: number) {
  const sequence = checkpoint.tokenizer.encode(texts[k % texts.length]!).slice(0, 8 + (k % 9));
  const weights = sequence.slice(1).map((_, t) => ((t + k) % 3) / 2);
  return { sequence, weights, learningRate: 0.01 + k / 1000 };
}

describe("32 concurrent sessions", () => {
  it("each model's results equal a single-session run of its own requests", async () => {
    const { client } = learner;
    const results = await Promise.all(
      Array.from({ length: CLIENTS }, async (_, k) => {
        const { sequence, weights, learningRate } = workload(k);
        const { modelId } = await client.model(BASE_NAME);
        const losses: number[] = [];
        for (let s = 0; s < STEPS; s++) {
          // Pipelined as the SDK does: both POSTs in order, then both futures.
          const fb = await client.post("forward_backward", {
            model_id: modelId,
            seq_id: 2 * s + 1,
            forward_backward_input: { loss_fn: "cross_entropy", data: [tinkerDatum(sequence, { weights })] },
          });
          const step = await client.post("optim_step", {
            model_id: modelId,
            seq_id: 2 * s + 2,
            adam_params: adam(learningRate).tinker,
          });
          losses.push((await client.retrieve(fb.body.request_id)).body.metrics["total_loss:sum"]);
          expect((await client.retrieve(step.body.request_id)).status).toBe(200);
        }
        const probe = await client.ok("forward", {
          model_id: modelId,
          forward_input: { loss_fn: "cross_entropy", data: [tinkerDatum(sequence)] },
        });
        return { losses, logProbs: probe.loss_fn_outputs[0].logprobs.data as number[] };
      }),
    );
    const base = await loadPolicy(checkpoint.directory);
    for (let k = 0; k < CLIENTS; k++) {
      const { sequence, weights, learningRate } = workload(k);
      const model = DecoderModel.fromWeights(base.model.config, base.model.weights());
      const tokenizer = base.tokenizer;
      const alone = new TfjsLearner({ model, tokenizer });
      const losses: number[] = [];
      for (let s = 0; s < STEPS; s++) {
        losses.push((await alone.forwardBackward([learnerDatum(sequence, weights)])).loss);
        await alone.optimStep(adam(learningRate).learner);
      }
      expect(results[k]!.losses, `client ${k}`).toEqual(losses);
      expect(results[k]!.logProbs, `client ${k}`).toEqual(
        (await alone.forward([learnerDatum(sequence)])).logProbs[0],
      );
      await alone.close();
      model.dispose();
    }
    // Positive control: the clients' models really differ from each other.
    expect(results[0]!.logProbs).not.toEqual(results[4]!.logProbs);
  });
});
