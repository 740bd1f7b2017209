import * as tf from "@tensorflow/tfjs-core";
import { rememberTensorflowPackage } from "./active-backend";
import { assertGpuInUse } from "./assert-gpu-in-use";
import {
  BACKEND_NAMES,
  BACKEND_SPECS,
  type BackendName,
  DEFAULT_BACKEND,
  isBackendName,
} from "./backend-names";
import { suppressCpuBanner } from "./cpu-banner";
import { loadBackendModule } from "./load-backend-module";
import { importModule, type ModuleImporter } from "./module-importer";
import { registerGradients } from "./register-gradients";
import { shareIdentityBuffers } from "./sharing-identity";
import { TensorBackendError } from "./tensor-backend-error";

/** The environment variable that picks the backend when `useBackend` gets no name. */
export const BACKEND_ENV_VAR = "HDPO_BACKEND";

/** Options of {@link useBackend}. */
export interface UseBackendOptions {
  /** Loads the backend's package; defaults to a real dynamic import. A seam for tests. */
  importModule?: ModuleImporter;
  /** Where `HDPO_BACKEND` is read from; defaults to `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Keep the cpu backend's "install tfjs-node" banner (default `false`: suppressed). */
  nodeBanner?: boolean;
}

/**
 * Selects the tfjs backend every hdpo package computes on: imports the backend's package (registering it),
 * registers tfjs's gradients, switches tfjs to it and waits until it is ready.
 *
 * @param name - the backend; when omitted, `HDPO_BACKEND` decides, and when that is unset too, `"wasm"`.
 * @returns the backend now active.
 * @throws TensorBackendError `invalid-name` for an unknown name, `not-installed` when an optional
 *   package (`@tensorflow/tfjs-node`, `@tensorflow/tfjs-node-gpu`) is absent, `load-failed` when it is
 *   present but cannot load (e.g. libtensorflow or its binding missing), `init-failed` when tfjs cannot
 *   switch, or when tfjs-node-gpu loaded but libtensorflow found no usable GPU (CUDA/cuDNN missing); after a
 *   failure the previously active backend stays active.
 *
 * @example
 * import { tf, useBackend } from "@hdpo/tensor";
 * await useBackend(); // "wasm", or what HDPO_BACKEND says
 * tf.sum(tf.tensor1d([1, 2, 3])).print(); // 6
 */
export async function useBackend(name?: BackendName, options: UseBackendOptions = {}): Promise<BackendName> {
  const backend = resolveBackendName(name, options.env ?? process.env);
  await loadBackendModule(backend, options.importModule ?? importModule);
  await registerGradients();
  const previous: string | null | undefined = tf.getBackend();
  try {
    await switchTo(backend);
    if (backend === "tensorflow-gpu") assertGpuInUse();
  } catch (error) {
    // tfjs keeps a backend that failed to initialise as its current name; go back to what worked.
    if (previous !== null && previous !== undefined) await tf.setBackend(previous);
    throw error;
  }
  if (backend === "wasm") shareIdentityBuffers(BACKEND_SPECS.wasm.tfjsName);
  if (backend === "cpu" && options.nodeBanner !== true) suppressCpuBanner();
  if (backend === "tensorflow" || backend === "tensorflow-gpu") rememberTensorflowPackage(backend);
  return backend;
}

function resolveBackendName(
  name: BackendName | undefined,
  env: Readonly<Record<string, string | undefined>>,
): BackendName {
  const fromEnv = env[BACKEND_ENV_VAR];
  const requested: unknown = name ?? (fromEnv === undefined || fromEnv === "" ? DEFAULT_BACKEND : fromEnv);
  if (isBackendName(requested)) return requested;
  const source = name === undefined ? `${BACKEND_ENV_VAR}=${JSON.stringify(fromEnv)}` : JSON.stringify(name);
  throw new TensorBackendError(
    "invalid-name",
    `Unknown tensor backend ${source}: use one of ${BACKEND_NAMES.map((n) => `"${n}"`).join(", ")}.`,
  );
}

async function switchTo(backend: BackendName): Promise<void> {
  const { tfjsName, packageName } = BACKEND_SPECS[backend];
  let switched: boolean;
  try {
    switched = await tf.setBackend(tfjsName);
    await tf.ready();
  } catch (cause) {
    throw new TensorBackendError(
      "init-failed",
      `Backend "${backend}": tfjs could not switch to "${tfjsName}" after importing ${packageName}: ` +
        `${cause instanceof Error ? cause.message : String(cause)}.`,
      { backend, cause },
    );
  }
  if (!switched) {
    // tfjs catches the initialisation error itself and only logs it (console.warn) before returning false.
    const wasmHint =
      backend === "wasm"
        ? ` This usually means the .wasm binary could not be read next to ${packageName}'s dist/ ` +
          `(a bundler moved it: call setWasmPaths from ${packageName} first).`
        : "";
    throw new TensorBackendError(
      "init-failed",
      `Backend "${backend}": tfjs failed to initialise "${tfjsName}" (its reason is in the warning tfjs ` +
        `logged just before).${wasmHint}`,
      { backend },
    );
  }
}
