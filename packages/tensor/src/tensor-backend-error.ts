import type { BackendName } from "./backend-names";

/**
 * Why {@link TensorBackendError} was thrown:
 * - `invalid-name`: the backend name (argument or `HDPO_BACKEND`) is not one of {@link BACKEND_NAMES};
 * - `not-installed`: the backend's npm package cannot be found (an optional peer nobody installed);
 * - `load-failed`: the package is there but importing it threw (e.g. its binding or libtensorflow missing);
 * - `init-failed`: the package loaded but tfjs could not switch to the backend, or tfjs-node-gpu loaded and
 *   libtensorflow found no usable GPU;
 * - `no-backend`: something needs an active backend and none has been selected yet.
 */
export type TensorBackendErrorCode =
  | "invalid-name"
  | "not-installed"
  | "load-failed"
  | "init-failed"
  | "no-backend";

/**
 * The one error `@hdpo/tensor` throws. Its message says which backend, what went wrong and what to do;
 * `code` tells the cases apart without parsing the message, and `cause` holds the original error.
 */
export class TensorBackendError extends Error {
  override readonly name = "TensorBackendError";
  /** Which kind of failure this is. */
  readonly code: TensorBackendErrorCode;
  /** The backend that was asked for, when the name itself was valid. */
  readonly backend: BackendName | undefined;

  constructor(
    code: TensorBackendErrorCode,
    message: string,
    options: { backend?: BackendName; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.backend = options.backend;
  }
}
