import type { tf } from "@hdpo/tensor";
import type { DecoderModel } from "../model/decoder-model";
import { PolicyError } from "../policy-error";

/** What a loss sees besides the model and its shard. */
export interface LossContext {
  /**
   * The global normaliser of the whole batch (e.g. its response-token count): a loss divides its shard's
   * sum by it, so that the shards' losses and gradients add up to the full batch's exactly.
   */
  normaliser: number;
  /** This shard's index among the step's shards. */
  shardIndex: number;
  /** How many shards the step has. */
  shardCount: number;
}

/**
 * What a loss returns: the shard's share of the batch loss, alone or with plain-number metrics (e.g. token
 * counts, a KL estimate) that the trainer adds up over the shards, so normalise them globally too.
 */
export type LossResult = tf.Scalar | { loss: tf.Scalar; metrics?: Readonly<Record<string, number>> };

/** The loss function a loss module exports as `loss`. */
export type LossFunction<Shard> = (model: DecoderModel, shard: Shard, context: LossContext) => LossResult;

/** A module (ESM, loadable by URL in a worker thread) exporting the loss. */
export interface LossModule<Shard> {
  loss: LossFunction<Shard>;
}

/**
 * Imports the loss module at `url` and checks that it exports a `loss` function.
 *
 * @throws PolicyError when the module cannot be imported or exports no `loss` function.
 */
export async function loadLossModule<Shard>(url: string): Promise<LossFunction<Shard>> {
  let module: Partial<LossModule<Shard>>;
  try {
    module = (await import(url)) as Partial<LossModule<Shard>>;
  } catch (cause) {
    throw new PolicyError(
      `Could not import the loss module ${url}: ${describeError(cause)}. Pass the URL of an ES module (e.g. new URL("./my-loss.js", import.meta.url)) that exports loss(model, shard, context).`,
      { cause },
    );
  }
  if (typeof module.loss !== "function") {
    throw new PolicyError(
      `The loss module ${url} exports no function \`loss\`; export loss(model, shard, context) returning the shard's share of the loss as a tf.Scalar.`,
    );
  }
  return module.loss;
}

/** An error's message (its stack's first lines for errors from a worker), for error messages. */
export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
