import { availableBackends, type BackendName, tf, useBackend } from "@hdpo/tensor";
import { bench, describe } from "vitest";
import { type HdpoLossInputs, hdpoLoss } from "./hdpo-loss";
import { hdpoLossReference } from "./hdpo-loss-reference";
import { randomBatch } from "./test-batches";

// A training step's worth of tokens: 256 rollouts × 1024 response tokens.
const ROWS = 256;
const COLUMNS = 1024;
const batch = randomBatch(2_024, { rows: ROWS, columns: COLUMNS });
const backends = await availableBackends();
const inputsByBackend = new Map<BackendName, HdpoLossInputs>();

/** Selects the backend and makes its copy of the batch once, so that no data moves between backends. */
async function prepare(backend: BackendName): Promise<HdpoLossInputs> {
  await useBackend(backend);
  let inputs = inputsByBackend.get(backend);
  if (inputs === undefined) {
    inputs = {
      logProb: tf.tensor2d(batch.logProb),
      oldLogProb: tf.tensor2d(batch.oldLogProb),
      mask: tf.tensor2d(batch.mask),
      accuracyAdvantages: tf.tensor1d(batch.accuracyAdvantages),
      toolAdvantages: tf.tensor1d(batch.toolAdvantages),
    };
    inputsByBackend.set(backend, inputs);
  }
  return inputs;
}

describe(`hdpoLoss forward + backward on [${ROWS}, ${COLUMNS}] tokens`, () => {
  for (const backend of backends) {
    let inputs: HdpoLossInputs | undefined;
    bench(
      `tensor, ${backend} backend (tf.grad w.r.t. logProb)`,
      () => {
        const current = inputs!;
        const gradient = tf.grad((logProb: tf.Tensor) => hdpoLoss({ ...current, logProb }).loss)(
          current.logProb,
        );
        // Reading the gradient back forces the whole computation, as a training step would.
        gradient.dataSync();
        gradient.dispose();
      },
      {
        time: 3_000,
        warmupIterations: 2,
        setup: async () => {
          inputs = await prepare(backend);
        },
      },
    );
  }

  bench(
    "float64 reference (plain TypeScript, loss + analytic gradient)",
    () => {
      hdpoLossReference(batch);
    },
    { time: 3_000, warmupIterations: 2 },
  );
});
