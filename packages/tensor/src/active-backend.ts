import * as tf from "@tensorflow/tfjs-core";

let tensorflowPackage: "tensorflow" | "tensorflow-gpu" = "tensorflow";

/** Records which native package provided tfjs's `tensorflow` backend (both register that name). */
export function rememberTensorflowPackage(name: "tensorflow" | "tensorflow-gpu"): void {
  tensorflowPackage = name;
}

/**
 * The backend tfjs is using now, or `null` when no backend has been set yet (it does not initialise one).
 * Names are `@hdpo/tensor`'s ({@link BackendName}), except for a backend that someone else registered,
 * which is returned under its tfjs name.
 *
 * @example
 * await useBackend("cpu");
 * activeBackend(); // "cpu"
 */
export function activeBackend(): string | null {
  const name: string | null | undefined = tf.getBackend();
  if (name === null || name === undefined) return null;
  return name === "tensorflow" ? tensorflowPackage : name;
}
