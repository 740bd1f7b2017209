// The pieces the runtime composes, from the python, search and image-search modules, in one place.
export type { ImageSearch, ImageSearchResult } from "../image-search/index";
export {
  checkReferenceBlocklist,
  createPythonLauncher,
  formatPythonObservation,
  type PythonLauncher,
  type PythonLauncherOptions,
  type PythonRunResult,
  type PythonSession,
  type SandboxReport,
} from "../python/index";
export type { TextSearch, TextSearchResult } from "../search/index";
