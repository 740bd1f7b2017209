export { IMAGE_LIMITS, PNG_DATA_URI_PREFIX } from "./driver-reply";
export { findPython, PYTHON_INSTALL_HINT, type PythonInterpreter } from "./find-python";
export {
  isReferenceOutputSize,
  MAX_OUTPUT_RATIO,
  referenceImageSize,
  smartResize,
} from "./image-resize-rules";
export { sanitizeOutput } from "./output-text";
export { checkPng, InvalidImageError } from "./png-check";
export { PythonStartError, PythonUnavailableError, SandboxUnavailableError } from "./python-error";
export {
  createPythonLauncher,
  DEFAULT_SESSION_ROOT,
  type PythonLauncher,
  type PythonLauncherOptions,
  sessionDirName,
} from "./python-launcher";
export { DEFAULT_PYTHON_LIMITS, type PythonLimits, resolvePythonLimits } from "./python-limits";
export { formatPythonObservation, type PythonObservation } from "./python-observation";
export { NO_OUTPUT_TEXT, type PythonRunResult, type PythonSession, timeoutText } from "./python-session";
export { checkReferenceBlocklist, REFERENCE_BLOCKED_TEXT } from "./reference-blocklist";
export { buildSandboxCommand, type SandboxCommand, type SandboxCommandInput } from "./sandbox-command";
export {
  type DetectSandboxOptions,
  detectSandbox,
  SANDBOX_UID_BASE,
  SANDBOX_UID_COUNT,
  type SandboxLayer,
  type SandboxMode,
  type SandboxReport,
} from "./sandbox-detect";
