import * as tf from "@tensorflow/tfjs-core";
import { TensorBackendError } from "./tensor-backend-error";

/**
 * Which of `kernelNames` the backend `tfjsName` has no kernel for (e.g. the wasm backend has no
 * `UnsortedSegmentSum`, which the gradient of `tf.gather` needs). The backend's package must have been
 * imported (`useBackend` or `availableBackends` does that).
 *
 * @param kernelNames - tfjs kernel names, such as `"GatherV2"` or `tf.UnsortedSegmentSum`.
 * @param tfjsName - the backend's tfjs name; defaults to the active backend.
 * @throws TensorBackendError `no-backend` when no backend is active and none was named.
 *
 * @example
 * await useBackend("wasm");
 * missingKernels(["GatherV2", "UnsortedSegmentSum"]); // ["UnsortedSegmentSum"]
 */
export function missingKernels(kernelNames: readonly string[], tfjsName?: string): string[] {
  const backend = tfjsName ?? tf.getBackend();
  if (backend === null || backend === undefined) {
    throw new TensorBackendError(
      "no-backend",
      "missingKernels: no backend is active and none was named; call useBackend() first or pass a backend name.",
    );
  }
  const registered = new Set(tf.getKernelsForBackend(backend).map((kernel) => kernel.kernelName));
  return kernelNames.filter((kernelName) => !registered.has(kernelName));
}
