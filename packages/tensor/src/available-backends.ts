import { BACKEND_NAMES, type BackendName } from "./backend-names";
import { loadBackendModule } from "./load-backend-module";
import { importModule, type ModuleImporter } from "./module-importer";

/** Options of {@link availableBackends}. */
export interface AvailableBackendsOptions {
  /** Loads a backend's package; defaults to a real dynamic import. A seam for tests. */
  importModule?: ModuleImporter;
}

/**
 * The backends whose package imports successfully here, in {@link BACKEND_NAMES} order. Importing
 * registers a backend with tfjs but does not switch to it (that is `useBackend`'s job), so the active
 * backend is unchanged. A native backend that is installed but broken is left out.
 *
 * @example
 * await availableBackends(); // ["wasm", "cpu"] without tfjs-node
 */
export async function availableBackends(options: AvailableBackendsOptions = {}): Promise<BackendName[]> {
  const importer = options.importModule ?? importModule;
  const loadable = await Promise.all(
    BACKEND_NAMES.map((name) =>
      loadBackendModule(name, importer).then(
        () => true,
        () => false,
      ),
    ),
  );
  return BACKEND_NAMES.filter((_, index) => loadable[index]);
}
