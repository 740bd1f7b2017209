import { ToolsError } from "../tools-error";

/** No usable Python (3 with Pillow and numpy) was found; the message lists each candidate and the fix. */
export class PythonUnavailableError extends ToolsError {
  override readonly name: string = "PythonUnavailableError";
}

/** The sandbox the caller required is not available here; the message says what is missing. */
export class SandboxUnavailableError extends ToolsError {
  override readonly name: string = "SandboxUnavailableError";
}

/** A python process could not be started or bound (not a user-code problem, which becomes a result). */
export class PythonStartError extends ToolsError {
  override readonly name: string = "PythonStartError";
}
