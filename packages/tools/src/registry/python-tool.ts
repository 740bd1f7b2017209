import { z } from "zod";
import { isPythonFalsy, pythonTypeName } from "../actions/python-values";
import { checkReferenceBlocklist, formatPythonObservation } from "../runtime/parts";
import { defineTool } from "./define-tool";
import { observationReply, toolExceptionReply } from "./tool-reply";

/** The reference's answer to a python call without code (metis-protocol.md §2). */
export const NO_CODE_TEXT = "Error: No code provided in the tool call arguments.";

/** The model-facing text when the server runs without Python. */
export const PYTHON_NOT_CONFIGURED_TEXT = "Error: The python tool is not configured on this server.";

/** Lines of the stripped code, as the python observation counts them (dedenting does not change the count). */
function codeLines(code: string): number {
  return code.trim().split("\n").length;
}

/** `python {code}`: runs code in the trajectory's persistent, sandboxed session. */
export const pythonTool = defineTool({
  name: "python",
  description:
    "Run Python code in a persistent session: variables, imports and files survive between calls of one task. " +
    "Preloaded: image_1, image_2, … (the task's images as RGB PIL images), PIL.Image as Image, numpy as np, math, " +
    "matplotlib.pyplot as plt, os, base64, io.BytesIO. Returns stdout, stderr and images shown with display(...), " +
    "open matplotlib figures, or an image as the last expression.",
  inputSchema: z.object({ code: z.string().describe("The Python code to run.") }),
  readArguments(raw) {
    const code = raw.code;
    if (isPythonFalsy(code)) {
      return {
        ok: false,
        reply: observationReply(
          { obs: NO_CODE_TEXT, image: [], metrics: { code_success: false }, timeout: false },
          { valid: false, tool: "python" },
        ),
      };
    }
    if (typeof code !== "string") {
      return {
        ok: false,
        reply: toolExceptionReply(
          `expected string or bytes-like object, got '${pythonTypeName(code)}'`,
          "python",
        ),
      };
    }
    return { ok: true, args: { code } };
  },
  async execute({ code }, context) {
    if (context.python === undefined) {
      return observationReply(
        { obs: PYTHON_NOT_CONFIGURED_TEXT, image: [], metrics: { code_success: false }, timeout: false },
        { valid: false, tool: "python" },
      );
    }
    const blocked = context.blocklist ? checkReferenceBlocklist(code) : undefined;
    if (blocked !== undefined) {
      return observationReply(
        {
          obs: blocked,
          image: [],
          metrics: { code_success: false, code_lines: codeLines(code) },
          timeout: false,
        },
        { tool: "python" },
      );
    }
    const { result, notice } = await context.python.run(code);
    const formatted = formatPythonObservation(result, code);
    const obs = notice === undefined ? formatted.obs : `${notice}\n${formatted.obs}`;
    return observationReply({ ...formatted, obs }, { tool: "python" });
  },
});
