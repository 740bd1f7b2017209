/** Every backend `useBackend` can select, in order of preference for portability. */
export const BACKEND_NAMES = ["wasm", "cpu", "tensorflow", "tensorflow-gpu"] as const;

/**
 * A backend `@hdpo/tensor` knows how to load:
 * - `wasm`: `@tensorflow/tfjs-backend-wasm`, XNNPACK compiled to WebAssembly (SIMD, single thread in Node);
 * - `cpu`: `@tensorflow/tfjs-backend-cpu`, plain JavaScript kernels, slowest but complete;
 * - `tensorflow`: `@tensorflow/tfjs-node`, native libtensorflow on the CPU (optional peer);
 * - `tensorflow-gpu`: `@tensorflow/tfjs-node-gpu`, native libtensorflow with CUDA (optional peer).
 */
export type BackendName = (typeof BACKEND_NAMES)[number];

/** The backend used when neither an argument nor `HDPO_BACKEND` names one: it works everywhere. */
export const DEFAULT_BACKEND: BackendName = "wasm";

/** Where each backend comes from and what tfjs calls it once registered. */
export interface BackendSpec {
  /** The npm package whose import registers the backend with tfjs. */
  readonly packageName: string;
  /** The name the package registers with tfjs (`tf.setBackend` takes this). */
  readonly tfjsName: string;
  /** Whether the package is an optional peer the user has to install. */
  readonly optional: boolean;
  /** What it takes to install, for error messages. */
  readonly installHint: string;
}

const NATIVE_DOWNLOAD_NOTE =
  "its install script downloads libtensorflow from Google Cloud Storage, so the " +
  "install needs network access";

/** The package and tfjs name behind every {@link BackendName}. */
export const BACKEND_SPECS: Readonly<Record<BackendName, BackendSpec>> = {
  wasm: {
    packageName: "@tensorflow/tfjs-backend-wasm",
    tfjsName: "wasm",
    optional: false,
    installHint: "it is a dependency of @hdpo/tensor; reinstall the workspace (pnpm install)",
  },
  cpu: {
    packageName: "@tensorflow/tfjs-backend-cpu",
    tfjsName: "cpu",
    optional: false,
    installHint: "it is a dependency of @hdpo/tensor; reinstall the workspace (pnpm install)",
  },
  tensorflow: {
    packageName: "@tensorflow/tfjs-node",
    tfjsName: "tensorflow",
    optional: true,
    installHint:
      "install it with `pnpm add @tensorflow/tfjs-node` (Linux x64, macOS x64 or Windows x64; " +
      NATIVE_DOWNLOAD_NOTE +
      ")",
  },
  "tensorflow-gpu": {
    packageName: "@tensorflow/tfjs-node-gpu",
    // tfjs-node-gpu registers itself under the same name as tfjs-node.
    tfjsName: "tensorflow",
    optional: true,
    installHint:
      "install it with `pnpm add @tensorflow/tfjs-node-gpu` (Linux x64 with an NVIDIA driver ≥ 450, CUDA " +
      "11.2 and cuDNN 8.1, the versions tfjs documents; " +
      NATIVE_DOWNLOAD_NOTE +
      ")",
  },
};

/**
 * Whether `value` is one of {@link BACKEND_NAMES}.
 *
 * @example
 * isBackendName("wasm"); // true
 * isBackendName("webgl"); // false
 */
export function isBackendName(value: unknown): value is BackendName {
  return typeof value === "string" && (BACKEND_NAMES as readonly string[]).includes(value);
}
