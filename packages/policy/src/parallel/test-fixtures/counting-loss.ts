import { tf } from "@hdpo/tensor";
import type { DecoderModel } from "../../model/decoder-model";
import type { SequenceBatch } from "../../model/log-probs";
import type { LossContext, LossResult } from "../loss-module";
import { loss as maskedNll } from "../masked-nll-loss";

/** The masked NLL, reporting how many tensors its thread holds when the loss starts (a leak shows as growth). */
export function loss(model: DecoderModel, shard: SequenceBatch, context: LossContext): LossResult {
  const tensors = tf.memory().numTensors;
  const result = maskedNll(model, shard, context) as { loss: tf.Scalar; metrics: Record<string, number> };
  return { loss: result.loss, metrics: { ...result.metrics, tensors } };
}
