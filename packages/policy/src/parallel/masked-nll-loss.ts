import { tf } from "@hdpo/tensor";
import type { DecoderModel } from "../model/decoder-model";
import type { SequenceBatch } from "../model/log-probs";
import type { LossContext, LossResult } from "./loss-module";
import { moduleUrl } from "./module-url";
import { responseTokenLogProbs } from "./response-log-probs";

/**
 * The built-in SFT loss module: the masked negative log-likelihood of each shard's response tokens, summed
 * and divided by the global normaliser (the whole batch's response-token count, see
 * `splitSequenceBatch`), so the shards' gradients add up to the token-mean NLL's gradient of the full batch.
 * The log-probs come from `responseTokenLogProbs` (the LM head only where a response token is predicted).
 * Metrics: `tokens` (response tokens) and `rows`.
 */
export function loss(model: DecoderModel, shard: SequenceBatch, context: LossContext): LossResult {
  let tokens = 0;
  shard.sequences.forEach((s, b) => {
    tokens += Math.max(0, s.length - shard.promptLengths[b]!);
  });
  const hasResponse = tokens > 0;
  const value = tf.tidy(() => {
    // A shard of prompts only adds nothing; the product keeps the loss connected to a parameter, which
    // tf.variableGrads requires.
    if (!hasResponse) return tf.mul(tf.sum(model.trainableVariables()[0]!), 0) as tf.Scalar;
    return tf.div(tf.neg(tf.sum(responseTokenLogProbs(model, shard))), context.normaliser) as tf.Scalar;
  });
  return { loss: value, metrics: { tokens, rows: shard.sequences.length } };
}

/** The URL of this module, to pass as `lossModule` to `createDataParallelTrainer`. */
export function maskedNllLossModule(): URL {
  return moduleUrl(import.meta.url, "masked-nll-loss", "parallel-masked-nll-loss");
}
