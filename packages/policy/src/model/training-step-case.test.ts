import { describe, expect, it } from "vitest";
import { TRAINING_STEP_CONFIG, trainingStepMultiplyAdds } from "./training-step-case";

describe("trainingStepMultiplyAdds", () => {
  it("counts every product of the issue's step (2 layers, d 64, 4 heads of 16 over 2 kv heads, MLP 172, vocab 512)", () => {
    const n = 32 * 128;
    // [m, k, n] of each forward product; the backward of a linear layer is two products of the same size.
    const linear = [
      [n, 64, 64], // q
      [n, 64, 32], // k
      [n, 64, 32], // v
      [n, 64, 64], // o
      [n, 64, 172], // gate
      [n, 64, 172], // up
      [n, 172, 64], // down
    ];
    // Per layer, 32 rows × 2 kv heads = 64 blocks of 256 query rows (2 heads × 128 positions) over 128 keys.
    const attentionBlock = 256 * 128 * 16;
    const product = ([a, b, c]: number[]) => a! * b! * c!;
    const linearForward = linear.map(product).reduce((x, y) => x + y, 0);
    const perLayer = 3 * linearForward + 64 * attentionBlock * (2 + 4);
    const head = 3 * product([n, 64, 512]);
    expect(trainingStepMultiplyAdds(TRAINING_STEP_CONFIG, 32, 128)).toBe(2 * perLayer + head);
    // About 1.9 G: the number docs/benchmarks.md divides by the machine's matMul rate.
    expect(trainingStepMultiplyAdds(TRAINING_STEP_CONFIG, 32, 128)).toBeCloseTo(1.919e9, -7);
  });
});
