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

  it("gives nothing for a question it cannot read", () => {
    expect(
      pythonSolution({ id: "x", question: "What is love?", answer: "x", extraInfo: { template: "product" } }),
    ).toBeUndefined();
    expect(pythonSolution({ id: "y", question: "Name the capital.", answer: "x" })).toBeUndefined();
  });
});
