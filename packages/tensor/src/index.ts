export * as tf from "@tensorflow/tfjs-core";
export { activeBackend } from "./active-backend";
export { type AvailableBackendsOptions, availableBackends } from "./available-backends";
export {
  BACKEND_NAMES,
  BACKEND_SPECS,
  type BackendName,
  type BackendSpec,
  DEFAULT_BACKEND,
  isBackendName,
} from "./backend-names";
export { missingKernels } from "./missing-kernels";
export { isPackageNotFoundError, type ModuleImporter } from "./module-importer";
export { TensorBackendError, type TensorBackendErrorCode } from "./tensor-backend-error";
export { BACKEND_ENV_VAR, type UseBackendOptions, useBackend } from "./use-backend";
