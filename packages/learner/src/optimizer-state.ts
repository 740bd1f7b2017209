import { decodeSafetensors, encodeSafetensors, type SafetensorsTensor } from "@hdpo/policy";
import { tf } from "@hdpo/tensor";
import { LearnerError } from "./learner-error";

/** tfjs's Adam keeps β₁ᵗ and β₂ᵗ as running products; `setWeights` rebuilds them with `pow`, a few ulps off. */
interface AdamPowers {
  accBeta1?: tf.Variable;
  accBeta2?: tf.Variable;
}

const POWERS = ["accBeta1", "accBeta2"] as const;

/**
 * The optimizer's state (`getWeights`: the iteration count, then every moment, in order) as safetensors bytes.
 * Adam's running powers β₁ᵗ, β₂ᵗ are kept too, so that a restored optimizer takes bit-identical steps.
 */
export async function encodeOptimizerState(optimizer: tf.Optimizer): Promise<Uint8Array> {
  const weights = await optimizer.getWeights();
  const tensors: Record<string, SafetensorsTensor> = {};
  const names: string[] = [];
  weights.forEach(({ name, tensor }, i) => {
    const key = `${String(i).padStart(5, "0")}`;
    names.push(name);
    tensors[key] = { dtype: "F32", shape: [...tensor.shape], data: Float32Array.from(tensor.dataSync()) };
  });
  // saveIterations() returns a fresh scalar the caller owns.
  weights[0]?.tensor.dispose();
  const powers = optimizer as unknown as AdamPowers;
  for (const key of POWERS) {
    const variable = powers[key];
    if (variable !== undefined)
      tensors[key] = { dtype: "F32", shape: [], data: Float32Array.from(variable.dataSync()) };
  }
  return encodeSafetensors(tensors, { names: JSON.stringify(names), className: optimizer.getClassName() });
}

/** Restores what {@link encodeOptimizerState} wrote into a freshly created optimizer of the same kind. */
export async function restoreOptimizerState(optimizer: tf.Optimizer, bytes: Uint8Array): Promise<void> {
  const { tensors, metadata } = decodeSafetensors(bytes);
  const names = JSON.parse(metadata?.names ?? "[]") as string[];
  if (metadata?.className !== optimizer.getClassName()) {
    throw new LearnerError(
      `the checkpoint's optimizer is ${metadata?.className ?? "unknown"}, not ${optimizer.getClassName()}; resume with the config it was written with.`,
    );
  }
  const values = names.map((name, i) => {
    const stored = tensors[String(i).padStart(5, "0")];
    if (stored === undefined || stored.dtype !== "F32") {
      throw new LearnerError(`the checkpoint's optimizer state lacks weight ${i} (${name}); it is damaged.`);
    }
    return { name, tensor: tf.tensor(stored.data as Float32Array, [...stored.shape]) };
  });
  await optimizer.setWeights(values);
  // setWeights copies the moments into new variables; the iteration scalar is read and may be dropped too.
  tf.dispose(values.map((v) => v.tensor));
  const powers = optimizer as unknown as AdamPowers;
  for (const key of POWERS) {
    const stored = tensors[key];
    const variable = powers[key];
    if (stored !== undefined && variable !== undefined) {
      tf.tidy(() => variable.assign(tf.scalar((stored.data as Float32Array)[0]!)));
    }
  }
}
