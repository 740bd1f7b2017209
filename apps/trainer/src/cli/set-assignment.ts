import { parseSettingValue } from "../config/setting-value";
import { TrainerAppError } from "../trainer-app-error";

/**
 * One `--set PATH=VALUE` flag: the path and its value, parsed as JSON when it is JSON and kept as a bare word
 * otherwise (a backend name, say).
 *
 * @throws TrainerAppError when there is no `=` or no path before it.
 */
export function parseSetAssignment(assignment: string): { path: string; value: unknown } {
  const at = assignment.indexOf("=");
  if (at <= 0) throw new TrainerAppError(`--set needs PATH=VALUE (e.g. rl.wTool=0.2), got "${assignment}".`);
  return { path: assignment.slice(0, at), value: parseSettingValue(assignment.slice(at + 1)) };
}
