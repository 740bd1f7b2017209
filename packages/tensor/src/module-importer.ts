/**
 * Loads a module by its specifier, like a dynamic `import()`. `useBackend` and `availableBackends` take
 * one so that tests (or an application with its own loader) can stand in for the real import.
 */
export type ModuleImporter = (specifier: string) => Promise<unknown>;

/**
 * The real importer. The two backends that are dependencies are imported with literal specifiers so
 * that bundlers see them; the optional peers go through a computed specifier because they may be absent
 * at build time.
 */
export const importModule: ModuleImporter = (specifier) => {
  switch (specifier) {
    case "@tensorflow/tfjs-backend-wasm":
      return import("@tensorflow/tfjs-backend-wasm");
    case "@tensorflow/tfjs-backend-cpu":
      return import("@tensorflow/tfjs-backend-cpu");
    default:
      return import(specifier);
  }
};

const NOT_FOUND_CODES = new Set(["ERR_MODULE_NOT_FOUND", "MODULE_NOT_FOUND"]);

/**
 * Whether `error` says that the package `specifier` itself cannot be found, as opposed to the package
 * being present and something it loads (its native binding, libtensorflow, a dependency) being missing.
 * Both cases carry the same error code in Node, so the missing specifier decides. Recognises Node's
 * errors (ESM "Cannot find package '<spec>' imported from …", CommonJS "Cannot find module '<spec>'") and
 * Vite's stand-in for a missing optional peer dependency (vitest, Vite-bundled apps), which has no code:
 * `Could not resolve "<spec>" imported by "<parent>"`.
 */
export function isPackageNotFoundError(error: unknown, specifier: string): boolean {
  if (typeof error !== "object" || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof message !== "string") return false;
  if (typeof code === "string" && NOT_FOUND_CODES.has(code)) return message.includes(`'${specifier}'`);
  return code === undefined && message.startsWith(`Could not resolve "${specifier}"`);
}
