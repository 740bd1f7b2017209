import { execFileSync } from "node:child_process";
import { generateSuite } from "@hdpo/tasks";
import { describe, expect, it } from "vitest";
import { pythonSolution } from "./python-solution";

describe("pythonSolution", () => {
  it("writes code for every python-family template and the arithmetic direct templates", () => {
    const suite = generateSuite({
      seed: 3,
      families: ["python", "direct"],
      sizes: { train: 30, val: 1, test: 1 },
    });
    const templates = new Set<string>();
    for (const task of suite.tasks.train) {
      const template = String(task.extraInfo?.template);
      const code = pythonSolution(task);
      if (task.category === "python") {
        expect(code, template).toBeDefined();
        templates.add(template);
      }
      if (template === "one-digit-arithmetic" || template === "larger-number")
        expect(code).toMatch(/^print\(/);
    }
    expect(templates.size).toBe(5);
  });

  it("prints the ground truth when run in a real Python, for every template it writes code for", () => {
    const suite = generateSuite({
      seed: 8,
      families: ["python", "direct"],
      sizes: { train: 24, val: 0, test: 1 },
      templates: { direct: ["compare-yes-no", "larger-number", "one-digit-arithmetic", "parity-yes-no"] },
    });
    const solved = suite.tasks.train.flatMap((task) => {
      const code = pythonSolution(task);
      return code === undefined ? [] : [{ task, code }];
    });
    expect(new Set(solved.map(({ task }) => task.extraInfo?.template)).size).toBe(9);
    // One interpreter for all: each solution runs in its own namespace and its output is framed.
    const program = solved.map(({ code }) => `exec(${JSON.stringify(code)}, {})\nprint("---")`).join("\n");
    const outputs = execFileSync("python3", ["-c", program], { encoding: "utf8" }).split("---\n");
    solved.forEach(({ task }, i) => {
      expect(outputs[i]?.trim(), task.question).toBe(task.answer);
    });
  });

  it("gives nothing for a question it cannot read", () => {
    expect(
      pythonSolution({ id: "x", question: "What is love?", answer: "x", extraInfo: { template: "product" } }),
    ).toBeUndefined();
    expect(pythonSolution({ id: "y", question: "Name the capital.", answer: "x" })).toBeUndefined();
  });
});
