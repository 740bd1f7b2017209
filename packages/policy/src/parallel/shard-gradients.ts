import { tf } from "@hdpo/tensor";
import type { DecoderModel } from "../model/decoder-model";
import { PolicyError } from "../policy-error";
import type { LossFunction } from "./loss-module";
import type { ParameterLayout } from "./parameter-layout";

/** One executor's share of a step: which shards it computes and the step's global facts. */
export interface ShardAssignment<Shard> {
  shards: readonly Shard[];
  /** The global index of each of `shards`. */
  shardIndices: readonly number[];
  shardCount: number;
  normaliser: number;
}

/** The summed loss, metrics and gradients (flat, in the layout's order) of an executor's shards. */
export interface ShardGradients {
  loss: number;
  metrics: Record<string, number>;
  gradients: Float32Array;
}

/**
 * Runs `loss` on each shard and adds up the losses and gradients. A parameter the loss does not reach gets a
 * zero gradient. No tensor outlives the call.
 */
export function shardGradients<Shard>(
  model: DecoderModel,
  layout: ParameterLayout,
  loss: LossFunction<Shard>,
  assignment: ShardAssignment<Shard>,
): ShardGradients {
  const gradients = new Float32Array(layout.size);
  const variables = layout.names.map((name) => model.parameters.get(name)!);
  let total = 0;
  const metrics: Record<string, number> = {};
  assignment.shards.forEach((shard, i) => {
    const shardIndex = assignment.shardIndices[i]!;
    const context = { normaliser: assignment.normaliser, shardIndex, shardCount: assignment.shardCount };
    const { value, grads } = tf.variableGrads(() => {
      const result = loss(model, shard, context);
      const scalar = result instanceof tf.Tensor ? result : (result as { loss?: unknown } | null)?.loss;
      if (!(scalar instanceof tf.Tensor) || scalar.size !== 1) {
        throw new PolicyError(
          `The loss of shard ${shardIndex} returned ${describeValue(result)}; return a scalar tf.Tensor (the shard's share of the loss), or { loss, metrics }.`,
        );
      }
      if (!(result instanceof tf.Tensor)) addMetrics(metrics, result.metrics ?? {}, shardIndex);
      return tf.reshape(scalar, []) as tf.Scalar;
    }, variables);
    total += value.dataSync()[0]!;
    value.dispose();
    variables.forEach((variable, v) => {
      const grad = grads[variable.name];
      if (grad === undefined) return;
      const data = grad.dataSync() as Float32Array;
      const offset = layout.offsets[v]!;
      for (let j = 0; j < data.length; j++) gradients[offset + j]! += data[j]!;
    });
    tf.dispose(Object.values(grads));
  });
  return { loss: total, metrics, gradients };
}

/** `into[name] += value` for each metric, refusing values that are not finite numbers. */
export function addMetrics(
  into: Record<string, number>,
  metrics: Readonly<Record<string, number>>,
  shardIndex: number,
): void {
  for (const [name, value] of Object.entries(metrics)) {
    if (typeof value !== "number" || !Number.isFinite(value)) {
      throw new PolicyError(
        `The loss of shard ${shardIndex} returned metric ${JSON.stringify(name)} = ${String(value)}; metrics must be finite numbers (read tensors back with dataSync).`,
      );
    }
    into[name] = (into[name] ?? 0) + value;
  }
}

function describeValue(value: unknown): string {
  if (value instanceof tf.Tensor) return `a tensor of shape [${value.shape}]`;
  if (typeof value === "object" && value !== null) return `an object without a scalar tensor \`loss\``;
  return value === null ? "null" : typeof value;
}
