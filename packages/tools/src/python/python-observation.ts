import { pythonStrip } from "@hdpo/rewards";
import { stripLeadingSpacesAndNewlines } from "./output-text";
import type { PythonRunResult } from "./python-session";

/** The reference's observation object for a python call. */
export interface PythonObservation {
  obs: string;
  image: string[];
  metrics: { code_success: boolean; code_lines: number };
  timeout: boolean;
}

/**
 * Formats a run like the reference (Metis `RETURN_PROMPT` + `_handle_python_execution`): stdout and stderr in
 * fences, "Images:" plus a newline only when images exist, the whole text stripped, `<image>` removed. A call
 * killed by the timeout answers the reference's bare "Error: Execution timed out ..." line. `code_lines` counts the
 * dedented, stripped code (the reference counts black's output; black is not used here). `timeout` is also true
 * when the call timed out: the reference only checks for the substring "timeout", which its own timeout text lacks.
 */
export function formatPythonObservation(result: PythonRunResult, code: string): PythonObservation {
  const cleaned = dedent(code).trim();
  const codeLines = cleaned.split("\n").length;
  let text: string;
  if (result.timedOut) {
    text = result.stderr.trim();
  } else {
    const images = result.images.length > 0 ? `Images:\n${"<image>".repeat(result.images.length)}` : "";
    text = `Code execution result:\nstdout:\n\`\`\`\n${result.stdout}\n\`\`\`\n\nstderr:\n\`\`\`\n${result.stderr}\n\`\`\`\n\n${images}\n`;
    text = pythonStrip(text);
  }
  text = stripLeadingSpacesAndNewlines(text).replaceAll("<image>", "");
  return {
    obs: text,
    image: result.images,
    metrics: { code_success: result.success, code_lines: codeLines },
    timeout: result.timedOut || text.toLowerCase().includes("timeout"),
  };
}

/** textwrap.dedent: removes the longest common leading whitespace of the non-blank lines. */
export function dedent(code: string): string {
  const lines = code.split("\n");
  let margin: string | undefined;
  for (const line of lines) {
    if (line.trim() === "") continue;
    const indent = /^[ \t]*/.exec(line)?.[0] ?? "";
    if (margin === undefined || indent.startsWith(margin)) {
      margin = margin ?? indent;
    } else if (margin.startsWith(indent)) {
      margin = indent;
    } else {
      let common = 0;
      while (common < margin.length && common < indent.length && margin[common] === indent[common]) common++;
      margin = margin.slice(0, common);
    }
  }
  if (!margin) return lines.map((line) => (line.trim() === "" ? "" : line)).join("\n");
  const cut = margin.length;
  return lines.map((line) => (line.trim() === "" ? "" : line.slice(cut))).join("\n");
}
