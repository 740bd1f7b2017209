import type { DecoderModel } from "../../model/decoder-model";
import type { SequenceBatch } from "../../model/log-probs";
import type { LossContext } from "../loss-module";
import { loss as maskedNll } from "../masked-nll-loss";

/** Throws on shard 1 (the second worker's with two workers), computes the masked NLL elsewhere. */
export function loss(model: DecoderModel, shard: SequenceBatch, context: LossContext) {
  if (context.shardIndex === 1) throw new Error("the loss of shard 1 exploded on purpose");
  return maskedNll(model, shard, context);
}
