import { TfjsLearner } from "@hdpo/learner";
import { loadPolicy } from "@hdpo/policy";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adam, learnerDatum, tinkerDatum } from "../test-support/datums";
import { BASE_NAME, freshStateDir, type RunningLearner, startLearner } from "../test-support/learner-fixture";
import { type TinyCheckpoint, tinyCheckpoint } from "../test-support/tiny-checkpoint";

// forward / forward_backward / optim_step over HTTP against TfjsLearner called in this process on the same data:
// the same code on the same numbers, so the results are expected to be equal, not close.

let checkpoint: TinyCheckpoint;
let learner: RunningLearner;
let sequences: number[][];

/** A TfjsLearner on a fresh copy of the checkpoint, as the server builds each model. */
async function reference(): Promise<TfjsLearner> {
  const { model, tokenizer } = await loadPolicy(checkpoint.directory);
  return new TfjsLearner({ model, tokenizer });
}

beforeAll(async () => {
  checkpoint = await tinyCheckpoint();
  learner = await startLearner(checkpoint.directory, freshStateDir(checkpoint.root));
  sequences = [
    checkpoint.tokenizer.encode("<reason>The tool is not needed here.</reason><answer>42</answer>"),
    checkpoint.tokenizer.encode("Hello world, hello learner."),
  ];
});

afterAll(async () => {
  await learner?.close();
  await checkpoint?.remove();
});

const data = (weights: (seq: number[], i: number) => number[] | undefined) =>
  sequences.map((seq, i) => tinkerDatum(seq, { weights: weights(seq, i) }));

describe("training routes against the in-process learner", () => {
  it("forward returns the learner's log-probs exactly, in SkyRL's result shape", async () => {
    const { client } = learner;
    const { modelId } = await client.model(BASE_NAME);
    const result = await client.ok("forward", {
      model_id: modelId,
      forward_input: { loss_fn: "cross_entropy", data: data(() => undefined) },
    });
    const ref = await reference();
    const expected = await ref.forward(sequences.map((seq) => learnerDatum(seq)));
    expect(result.loss_fn_output_type).toBe("scalar");
    expect(result.metrics).toEqual({});
    expect(result.loss_fn_outputs).toHaveLength(2);
    result.loss_fn_outputs.forEach((output: { logprobs: unknown }, i: number) => {
      expect(output).toEqual({
        logprobs: { data: expected.logProbs[i], dtype: "float32", shape: [sequences[i]!.length - 1] },
      });
    });
  });

  it("forward_backward (cross_entropy, weights) and optim_step (every Adam field, grad_clip_norm) equal the learner", async () => {
    const { client } = learner;
    const { modelId } = await client.model(BASE_NAME);
    const ref = await reference();
    const weightsOf = (seq: number[], i: number) =>
      seq.slice(1).map((_, t) => (t % 3 === 0 ? 0 : 0.5 + i - t / 40));
    const steps = [adam(0.01, { weightDecay: 0.1 }), adam(0.02, { gradClipNorm: 0.05 })];
    for (const step of steps) {
      const fb = await client.ok("forward_backward", {
        model_id: modelId,
        forward_backward_input: { loss_fn: "cross_entropy", data: data(weightsOf) },
      });
      const expected = await ref.forwardBackward(
        sequences.map((seq, i) => learnerDatum(seq, weightsOf(seq, i))),
      );
      expect(fb.metrics["total_loss:sum"]).toBe(expected.loss);
      expect(fb.metrics["num_tokens:sum"]).toBe(sequences.reduce((n, s) => n + s.length - 1, 0));
      fb.loss_fn_outputs.forEach(
        (output: { logprobs: { data: number[] }; elementwise_loss: { data: number[] } }, i: number) => {
          expect(output.logprobs.data).toEqual(expected.logProbs[i]);
          const weights = weightsOf(sequences[i]!, i);
          expect(output.elementwise_loss.data).toEqual(expected.logProbs[i]!.map((l, t) => -l * weights[t]!));
        },
      );
      const stepped = await client.ok("optim_step", { model_id: modelId, adam_params: step.tinker });
      const refStep = await ref.optimStep(step.learner);
      expect(stepped).toEqual({
        metrics: {
          "skyrl.ai/grad_norm": refStep.gradNorm,
          "skyrl.ai/learning_rate": step.learner.learningRate,
        },
      });
    }
    const after = await client.ok("forward", {
      model_id: modelId,
      forward_input: { loss_fn: "cross_entropy", data: data(() => undefined) },
    });
    const refAfter = await ref.forward(sequences.map((seq) => learnerDatum(seq)));
    expect(after.loss_fn_outputs.map((o: { logprobs: { data: number[] } }) => o.logprobs.data)).toEqual(
      refAfter.logProbs,
    );
    // Positive control: the steps moved the weights.
    const base = await (await reference()).forward(sequences.map((seq) => learnerDatum(seq)));
    expect(refAfter.logProbs).not.toEqual(base.logProbs);
  });

  it("gradient clipping is applied: grad_clip_norm changes the step, and 0 means none", async () => {
    const { client } = learner;
    const clipped = await client.model(BASE_NAME);
    const unclipped = await client.model(BASE_NAME);
    const probe = { loss_fn: "cross_entropy", data: data(() => undefined) };
    for (const [{ modelId }, clip] of [
      [clipped, 1e-4],
      [unclipped, 0],
    ] as const) {
      await client.ok("forward_backward", { model_id: modelId, forward_backward_input: probe });
      await client.ok("optim_step", {
        model_id: modelId,
        adam_params: adam(0.05, { gradClipNorm: clip }).tinker,
      });
      await client.ok("forward_backward", { model_id: modelId, forward_backward_input: probe });
      await client.ok("optim_step", {
        model_id: modelId,
        adam_params: adam(0.05, { gradClipNorm: clip }).tinker,
      });
    }
    const ref = await reference();
    for (const clip of [1e-4, 1e-4]) {
      await ref.forwardBackward(sequences.map((seq) => learnerDatum(seq)));
      await ref.optimStep(adam(0.05, { gradClipNorm: clip }).learner);
    }
    const logProbs = async (modelId: string) =>
      (await client.ok("forward", { model_id: modelId, forward_input: probe })).loss_fn_outputs.map(
        (o: { logprobs: { data: number[] } }) => o.logprobs.data,
      );
    const expected = (await ref.forward(sequences.map((seq) => learnerDatum(seq)))).logProbs;
    expect(await logProbs(clipped.modelId)).toEqual(expected);
    expect(await logProbs(unclipped.modelId)).not.toEqual(expected);
  });

  it("aligns short weights to the end of the sequence (fsdp): outputs of len(weights), the same gradient as full weights", async () => {
    const { client } = learner;
    const short = await client.model(BASE_NAME);
    const full = await client.model(BASE_NAME);
    const response = 5;
    const tailWeights = [1, 0.5, 2, 1, 0.25];
    const shortData = sequences.map((seq) => tinkerDatum(seq, { weights: tailWeights }));
    const fullData = sequences.map((seq) =>
      tinkerDatum(seq, { weights: [...new Array(seq.length - 1 - response).fill(0), ...tailWeights] }),
    );
    const a = await client.ok("forward_backward", {
      model_id: short.modelId,
      forward_backward_input: { loss_fn: "cross_entropy", data: shortData },
    });
    const b = await client.ok("forward_backward", {
      model_id: full.modelId,
      forward_backward_input: { loss_fn: "cross_entropy", data: fullData },
    });
    a.loss_fn_outputs.forEach((output: { logprobs: { data: number[]; shape: number[] } }, i: number) => {
      expect(output.logprobs.shape).toEqual([response]);
      expect(output.logprobs.data).toEqual(b.loss_fn_outputs[i].logprobs.data.slice(-response));
    });
    expect(a.metrics["total_loss:sum"]).toBe(b.metrics["total_loss:sum"]);
    // Response-only targets too (the tail of the shifted sequence), as ppo_client.py sends them.
    const tailTargets = sequences.map((seq) => {
      const datum = tinkerDatum(seq, { weights: tailWeights });
      datum.loss_fn_inputs.target_tokens = { data: seq.slice(-response) };
      return datum;
    });
    const c = await client.ok("forward", {
      model_id: short.modelId,
      forward_input: { loss_fn: "cross_entropy", data: tailTargets },
    });
    expect(c.loss_fn_outputs[0].logprobs.data).toEqual(a.loss_fn_outputs[0].logprobs.data);
    for (const { modelId } of [short, full]) {
      await client.ok("optim_step", { model_id: modelId, adam_params: adam(0.05).tinker });
    }
    const probe = { loss_fn: "cross_entropy", data: data(() => undefined) };
    const [x, y] = await Promise.all(
      [short, full].map(
        async ({ modelId }) =>
          (await client.ok("forward", { model_id: modelId, forward_input: probe })).loss_fn_outputs,
      ),
    );
    expect(x).toEqual(y);
  });

  it("ppo and importance_sampling: the loss per spec §3.1 and exactly its gradient (route A done by the server)", async () => {
    const { client } = learner;
    const ref = await reference();
    const fresh = await ref.forward(sequences.map((seq) => learnerDatum(seq)));
    // Behaviour log-probs near the current ones, so that some ratios fall inside and some outside the clip range.
    const behaviour = fresh.logProbs.map((row) =>
      row.map((l, t) => l + (t % 4 === 0 ? 0.5 : t % 4 === 1 ? -0.5 : 0.05)),
    );
    const advantages = fresh.logProbs.map((row, i) =>
      row.map((_, t) => (i === 0 ? 1 : -1) * (t % 5 === 2 ? 0 : 0.3)),
    );
    const weights = fresh.logProbs.map((row) => row.map((_, t) => (t < 2 ? 0 : 1)));
    const rlData = sequences.map((seq, i) =>
      tinkerDatum(seq, { weights: weights[i]!, logprobs: behaviour[i]!, advantages: advantages[i]! }),
    );
    for (const [lossFn, config] of [
      ["ppo", { clip_low_threshold: 0.9, clip_high_threshold: 1.1 }],
      ["importance_sampling", null],
    ] as const) {
      const { modelId } = await client.model(BASE_NAME);
      const fb = await client.ok("forward_backward", {
        model_id: modelId,
        forward_backward_input: { loss_fn: lossFn, loss_fn_config: config, data: rlData },
      });
      // The float64 loss and per-token dL/dlogp, written out here independently of the server's code.
      let loss = 0;
      const grads = fresh.logProbs.map((row, i) =>
        row.map((l, t) => {
          const w = weights[i]![t]!;
          const a = advantages[i]![t]!;
          const delta = l - behaviour[i]![t]!;
          if (lossFn === "importance_sampling") {
            loss += -w * Math.exp(delta) * a;
            return -w * Math.exp(delta) * a;
          }
          const r = Math.exp(Math.max(-20, Math.min(20, delta)));
          const clippedR = Math.max(0.9, Math.min(1.1, r));
          loss += -w * Math.min(r * a, clippedR * a);
          const unclipped = r * a <= clippedR * a;
          return unclipped && a !== 0 ? -w * a * r : 0;
        }),
      );
      expect(fb.metrics["total_loss:sum"]).toBeCloseTo(loss, 12);
      fb.loss_fn_outputs.forEach((output: { logprobs: { data: number[] } }, i: number) => {
        expect(output.logprobs.data).toEqual(fresh.logProbs[i]);
      });
      await client.ok("optim_step", { model_id: modelId, adam_params: adam(0.05).tinker });
      const routeA = await reference();
      await routeA.forwardBackward(
        sequences.map((seq, i) =>
          learnerDatum(
            seq,
            grads[i]!.map((g) => -g),
          ),
        ),
      );
      await routeA.optimStep(adam(0.05).learner);
      const after = await client.ok("forward", {
        model_id: modelId,
        forward_input: { loss_fn: lossFn, data: rlData },
      });
      const expected = await routeA.forward(sequences.map((seq) => learnerDatum(seq)));
      after.loss_fn_outputs.forEach((output: { logprobs: { data: number[] } }, i: number) => {
        expect(output.logprobs.data).toEqual(expected.logProbs[i]);
      });
      // Positive control: the clip decisions mattered (some tokens had zero gradient under ppo).
      if (lossFn === "ppo")
        expect(grads.flat().filter((g, k) => g === 0 && weights.flat()[k] !== 0).length).toBeGreaterThan(0);
    }
  });

  it("runs a server-wide temperature: log-probs at logits / T", async () => {
    const hot = await startLearner(checkpoint.directory, freshStateDir(checkpoint.root), { temperature: 2 });
    try {
      const { modelId } = await hot.client.model(BASE_NAME);
      const result = await hot.client.ok("forward", {
        model_id: modelId,
        forward_input: { loss_fn: "cross_entropy", data: data(() => undefined) },
      });
      const expected = await (await reference()).forward(
        sequences.map((seq) => learnerDatum(seq)),
        { temperature: 2 },
      );
      expect(result.loss_fn_outputs[1].logprobs.data).toEqual(expected.logProbs[1]);
      const capabilities = await hot.client.get("get_server_capabilities");
      expect(capabilities.body.hdpo.temperature).toBe(2);
    } finally {
      await hot.close();
    }
  });

  it("deduplicates (model_id, seq_id): the same payload gets the original request id and runs once", async () => {
    const { client } = learner;
    const { modelId } = await client.model(BASE_NAME);
    const body = {
      model_id: modelId,
      seq_id: 1,
      forward_backward_input: { loss_fn: "cross_entropy", data: data(() => undefined) },
    };
    const first = await client.post("forward_backward", body);
    // Same payload with its keys in another order: still the same request.
    const again = await client.post("forward_backward", {
      seq_id: 1,
      forward_backward_input: { data: data(() => undefined), loss_fn: "cross_entropy" },
      model_id: modelId,
    });
    expect(again.body).toEqual(first.body);
    await client.retrieve(first.body.request_id);
    await client.ok("optim_step", { model_id: modelId, seq_id: 2, adam_params: adam(0.05).tinker });
    const ref = await reference();
    await ref.forwardBackward(sequences.map((seq) => learnerDatum(seq)));
    await ref.optimStep(adam(0.05).learner);
    const after = await client.ok("forward", {
      model_id: modelId,
      seq_id: 3,
      forward_input: { loss_fn: "cross_entropy", data: data(() => undefined) },
    });
    expect(after.loss_fn_outputs[0].logprobs.data).toEqual(
      (await ref.forward(sequences.map((seq) => learnerDatum(seq)))).logProbs[0],
    );
  });
});
