import { BACKEND_SPECS, type BackendName } from "./backend-names";
import { isPackageNotFoundError, type ModuleImporter } from "./module-importer";
import { TensorBackendError } from "./tensor-backend-error";

const WASM_FALLBACK = 'The "wasm" backend needs nothing extra and works everywhere: useBackend("wasm").';

/**
 * Imports the package behind `name`, which registers the backend with tfjs.
 *
 * @throws TensorBackendError `not-installed` when the package cannot be found, `load-failed` when it is
 *   there but its import throws.
 */
export async function loadBackendModule(name: BackendName, importer: ModuleImporter): Promise<void> {
  const spec = BACKEND_SPECS[name];
  try {
    await importer(spec.packageName);
  } catch (cause) {
    if (isPackageNotFoundError(cause, spec.packageName)) {
      throw new TensorBackendError(
        "not-installed",
        `Backend "${name}" needs ${spec.packageName}, which is not installed: ${spec.installHint}. ${WASM_FALLBACK}`,
        { backend: name, cause },
      );
    }
    throw new TensorBackendError(
      "load-failed",
      `Backend "${name}": ${spec.packageName} is installed but failed to load: ${describe(cause)}. ` +
        `Check its native prerequisites (${spec.installHint}). ${WASM_FALLBACK}`,
      { backend: name, cause },
    );
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
