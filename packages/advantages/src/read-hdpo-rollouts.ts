import { AdvantagesError } from "./advantages-error";
import { describe, type Flag } from "./validate-input";

/** The validated per-rollout columns of an HDPO batch. */
export interface HdpoRollouts {
  readonly accuracyRewards: Float64Array;
  readonly toolRewards: Float64Array;
  /** 1 where the rollout is correct, which is exactly where r_tool > 0: Q of the tool advantage. */
  readonly correct: Uint8Array;
  readonly correctCount: number;
}

/**
 * Checks and copies the three reward columns in a single pass (this runs every training step, so it
 * is fused rather than three separate reads). Q = {i : r_tool > 0} must be exactly the correct
 * rollouts; a disagreement means the two rewards came from different verdicts, so it is an error
 * rather than something to guess at.
 */
export function readHdpoRollouts(
  accuracyRewards: ArrayLike<number>,
  toolRewards: ArrayLike<number>,
  correct: ArrayLike<Flag>,
): HdpoRollouts {
  const n = accuracyRewards.length;
  const accuracy = new Float64Array(n);
  const tool = new Float64Array(n);
  const flags = new Uint8Array(n);
  let correctCount = 0;
  for (let i = 0; i < n; i++) {
    const a = accuracyRewards[i];
    const t = toolRewards[i];
    const c = correct[i];
    // Number(bool) rather than `if (c)`: correctness is close to random, and a mispredicted branch per
    // rollout costs more than the rest of the loop.
    const bit = Number(c === true || c === 1);
    if (bit + Number(c === false || c === 0) !== 1) {
      throw new AdvantagesError(
        `correct[${i}] is ${describe(c)}; every entry must be true/false or 1/0 (e.g. a Uint8Array).`,
      );
    }
    // Number.isFinite does not coerce, so it also rejects strings, null and undefined.
    if (!Number.isFinite(a)) throw notFinite("accuracyRewards", i, a);
    if (!Number.isFinite(t)) throw notFinite("toolRewards", i, t);
    if (t < 0) {
      throw new AdvantagesError(
        `toolRewards[${i}] is ${t}; r_tool is 1/(T+1) for a correct rollout and 0 otherwise, never negative.`,
      );
    }
    if (Number(t > 0) !== bit) {
      throw new AdvantagesError(
        bit === 1
          ? `toolRewards[${i}] is 0 but correct[${i}] is true; a correct rollout has r_tool = 1/(T+1) > 0 — ` +
              `compute r_tool and correct from the same verdict.`
          : `toolRewards[${i}] is ${t} but correct[${i}] is false; an incorrect rollout must have r_tool = 0 — ` +
              `compute r_tool and correct from the same verdict.`,
      );
    }
    accuracy[i] = a;
    tool[i] = t;
    flags[i] = bit;
    correctCount += bit;
  }
  return { accuracyRewards: accuracy, toolRewards: tool, correct: flags, correctCount };
}

function notFinite(name: string, index: number, value: unknown): AdvantagesError {
  return new AdvantagesError(
    `${name}[${index}] is ${describe(value)}; every entry must be a finite number — ` +
      `check how this rollout's reward was computed.`,
  );
}
