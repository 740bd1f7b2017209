import * as tf from "@tensorflow/tfjs-core";
import { TensorBackendError } from "./tensor-backend-error";

/**
 * Fails when tfjs-node-gpu is active but libtensorflow runs on the CPU. Missing or mismatched CUDA
 * libraries do not make the import fail: libtensorflow logs "Could not load dynamic library
 * 'libcudart.so.11.0'" and "Skipping registering GPU devices" and carries on without the GPU, which
 * would make a GPU run silently slow. tfjs-node's backend exposes `isUsingGpuDevice`; a backend without
 * that field is given the benefit of the doubt.
 *
 * @throws TensorBackendError `init-failed` when the active backend reports `isUsingGpuDevice: false`.
 */
export function assertGpuInUse(): void {
  const backend: unknown = tf.backend();
  const usingGpu =
    typeof backend === "object" && backend !== null && "isUsingGpuDevice" in backend
      ? (backend as { isUsingGpuDevice: unknown }).isUsingGpuDevice
      : undefined;
  if (usingGpu !== false) return;
  throw new TensorBackendError(
    "init-failed",
    'Backend "tensorflow-gpu": @tensorflow/tfjs-node-gpu loaded, but libtensorflow found no usable GPU and would ' +
      "run on the CPU (it logged why above, e.g. \"Could not load dynamic library 'libcudart.so.11.0'\"). It needs " +
      "an NVIDIA driver ≥ 450 and the CUDA 11.2 and cuDNN 8.1 libraries on the library path (LD_LIBRARY_PATH). " +
      'For native CPU speed use "tensorflow" (@tensorflow/tfjs-node); "wasm" works everywhere.',
    { backend: "tensorflow-gpu" },
  );
}
