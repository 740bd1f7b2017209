import { describe, expect, it } from "vitest";
import { dedent, formatPythonObservation } from "./python-observation";
import type { PythonRunResult } from "./python-session";

function result(overrides: Partial<PythonRunResult>): PythonRunResult {
  return {
    stdout: "",
    stderr: "",
    images: [],
    success: true,
    timedOut: false,
    terminated: false,
    ...overrides,
  };
}

describe("formatPythonObservation", () => {
  it("renders the reference's fenced text without images", () => {
    expect(formatPythonObservation(result({ stdout: "hi\n" }), "print('hi')")).toEqual({
      obs: "Code execution result:\nstdout:\n```\nhi\n\n```\n\nstderr:\n```\n\n```",
      image: [],
      metrics: { code_success: true, code_lines: 1 },
      timeout: false,
    });
  });

  it("adds the blank line, 'Images:' and a newline only when images exist, and strips <image>", () => {
    const images = ["data:image/png;base64,AAAA", "data:image/png;base64,BBBB"];
    const observation = formatPythonObservation(result({ stdout: "a <image> b", images }), "x\ny\n");
    expect(observation.obs).toBe(
      "Code execution result:\nstdout:\n```\na  b\n```\n\nstderr:\n```\n\n```\n\nImages:\n",
    );
    expect(observation.image).toEqual(images);
    expect(observation.metrics).toEqual({ code_success: true, code_lines: 2 });
  });

  it("reports failures with stderr and code_success false", () => {
    const observation = formatPythonObservation(
      result({
        success: false,
        stderr: "Traceback (most recent call last):\nZeroDivisionError: division by zero\n",
      }),
      "    1/0",
    );
    expect(observation.obs).toBe(
      "Code execution result:\nstdout:\n```\n\n```\n\nstderr:\n```\nTraceback (most recent call last):\nZeroDivisionError: division by zero\n\n```",
    );
    expect(observation.metrics.code_success).toBe(false);
    expect(observation.timeout).toBe(false);
  });

  it("answers the bare timeout line for a timed-out call and flags timeout", () => {
    const text = "Error: Execution timed out after 20 seconds and the kernel was terminated.";
    const observation = formatPythonObservation(
      result({ success: false, timedOut: true, terminated: true, stderr: text }),
      "while True: pass",
    );
    expect(observation).toEqual({
      obs: text,
      image: [],
      metrics: { code_success: false, code_lines: 1 },
      timeout: true,
    });
  });

  it("sets timeout when the text mentions a timeout, like the reference", () => {
    expect(formatPythonObservation(result({ stdout: "Timeout reached" }), "x").timeout).toBe(true);
  });

  it("dedents like textwrap.dedent", () => {
    expect(dedent("    a\n      b\n\n    c")).toBe("a\n  b\n\nc");
    expect(dedent("a\n  b")).toBe("a\n  b");
    expect(dedent("  \n  x\n   ")).toBe("\nx\n");
  });
});
