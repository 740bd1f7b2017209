import type { Task } from "@hdpo/core";
import { generateSuite } from "@hdpo/tasks";
import { describe, expect, it } from "vitest";
import { directRationale } from "./direct-rationale";

function task(question: string, answer: string, template: string): Task {
  return {
    id: "t",
    question,
    answer,
    category: "direct",
    toolNecessity: "unnecessary",
    extraInfo: { template },
  };
}

describe("directRationale", () => {
  it("compares two numbers at their first difference and states whether the relation holds", () => {
    expect(directRationale(task("Yes or no: is 56 smaller than 53?", "no", "compare-yes-no"))).toBe(
      "56 vs 53: ones 6 vs 3, so 56 is larger: 56 is not smaller than 53.",
    );
    expect(directRationale(task("Is 38 larger than 71? Answer yes or no.", "no", "compare-yes-no"))).toBe(
      "38 vs 71: tens 3 vs 7, so 71 is larger: 38 is not larger than 71.",
    );
    expect(
      directRationale(
        task("Answer with yes or no. Is the number 7 smaller than the number 53?", "yes", "compare-yes-no"),
      ),
    ).toBe("7 has 1 digit and 53 has 2 digits, so 53 is larger: 7 is smaller than 53.");
  });

  it("reads a number's parity off its last digit", () => {
    expect(directRationale(task("Is 4827 an even number? Answer yes or no.", "no", "parity-yes-no"))).toBe(
      "4827 ends in 7, which is odd: 4827 is not even.",
    );
    expect(directRationale(task("Yes or no: is the number 30 even?", "yes", "parity-yes-no"))).toBe(
      "30 ends in 0, which is even: 30 is even.",
    );
  });

  it("points at the option that names the stated capital", () => {
    const question =
      "The capital of the invented country Sepogux is Zoufashor. Which city is the capital of Sepogux?\nA. Loufaelyn\nB. Zoufashor\nC. Moshound\nAnswer with the option's letter.";
    expect(directRationale(task(question, "B", "capital-choice"))).toBe(
      "The question says the capital is Zoufashor, which is option B.",
    );
  });

  it("has none for other templates or questions of another shape", () => {
    expect(directRationale(task("What is 2 + 3?", "5", "one-digit-arithmetic"))).toBeUndefined();
    expect(directRationale(task("Is it raining?", "yes", "compare-yes-no"))).toBeUndefined();
    expect(directRationale(task("Which city?\nA. X", "B", "capital-choice"))).toBeUndefined();
  });

  it("agrees with the gold answer on every generated comparison, parity question and choice", () => {
    const suite = generateSuite({
      seed: 3,
      families: ["direct"],
      sizes: { train: 300, val: 0, test: 0 },
      templates: { direct: ["compare-yes-no", "capital-choice", "parity-yes-no"] },
    });
    for (const t of suite.tasks.train) {
      const reason = directRationale(t);
      expect(reason, t.question).toBeDefined();
      if (t.extraInfo?.template === "compare-yes-no" || t.extraInfo?.template === "parity-yes-no") {
        expect(reason!.includes(" is not "), t.question).toBe(t.answer === "no");
      } else {
        expect(reason!.endsWith(`option ${t.answer as string}.`)).toBe(true);
      }
    }
  });
});
