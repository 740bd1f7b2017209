import * as tf from "@tensorflow/tfjs-core";
import { bench, describe } from "vitest";
import { availableBackends } from "./available-backends";
import type { BackendName } from "./backend-names";
import { useBackend } from "./use-backend";

// One 512×512 float32 matMul per backend: the figure docs/backends.md quotes for cpu vs wasm.
const SIZE = 512;
const backends = await availableBackends();
const operands = new Map<BackendName, [tf.Tensor2D, tf.Tensor2D]>();

describe(`${SIZE}×${SIZE} matMul`, () => {
  for (const backend of backends) {
    let pair: [tf.Tensor2D, tf.Tensor2D] | undefined;
    bench(
      `${backend} backend`,
      () => {
        const product = tf.matMul(pair![0], pair![1]);
        product.dataSync();
        product.dispose();
      },
      {
        time: 2_000,
        warmupIterations: 3,
        setup: async () => {
          await useBackend(backend);
          pair = operands.get(backend);
          if (pair === undefined) {
            pair = [
              tf.randomUniform([SIZE, SIZE], -1, 1, "float32", 1),
              tf.randomUniform([SIZE, SIZE], -1, 1, "float32", 2),
            ];
            operands.set(backend, pair);
          }
        },
      },
    );
  }
});
