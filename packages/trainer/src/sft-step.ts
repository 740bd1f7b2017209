import type { Learner, LearnerAdamParams } from "@hdpo/core";
import { learnerDatum } from "./learner-datum";
import type { TokenSequence } from "./token-sequence";
import { TrainerError } from "./trainer-error";

/** What one SFT step measured. */
export interface SftStepMetrics {
  /** Masked token-mean negative log-likelihood before the update. */
  loss: number;
  /** Tokens the loss was taken over (mask 1). */
  tokens: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
}

/**
 * One supervised step through the learner: masked token-mean NLL over the model's tokens only (prompt and observation
 * tokens carry no loss) as `forwardBackward` weights `lossMask / tokens`, then one `optimStep` with `adam` (its
 * `gradClipNorm` clips the global norm, where the learner honours it).
 *
 * @throws TrainerError for an empty batch or a batch without a single model token.
 */
export async function sftStep(
  learner: Learner,
  batch: readonly TokenSequence[],
  adam: LearnerAdamParams,
): Promise<SftStepMetrics> {
  if (batch.length === 0) throw new TrainerError("sftStep: the batch is empty; pass at least one example.");
  const tokens = batch.reduce((n, s) => n + s.lossMask.reduce<number>((a, m) => a + m, 0), 0);
  if (tokens === 0)
    throw new TrainerError("sftStep: no example has a token with lossMask 1; nothing to learn.");
  const { loss } = await learner.forwardBackward(
    batch.map((sequence) =>
      learnerDatum(
        sequence,
        sequence.lossMask.map((m) => m / tokens),
      ),
    ),
  );
  const { gradNorm } = await learner.optimStep(adam);
  return { loss, tokens, gradNorm };
}
