import type { Task } from "@hdpo/core";
import { verifyByRules } from "@hdpo/judge";
import { describe, expect, it } from "vitest";
import { TasksError } from "../tasks-error";
import { answerInText, answerSubstringOf } from "./answer-in-prompt";
import { generateSuite, SUITE_NUMERIC_TOLERANCE, SUITE_TEMPLATES } from "./generate-suite";
import { SPLIT_NAMES, type Suite, TASK_FAMILIES } from "./suite-types";

const SIZES = { train: 24, val: 8, test: 12 };
// One suite shared by the read-only checks below (image rendering dominates generation time).
const suite = generateSuite({ seed: 11, sizes: SIZES });
/** The direct templates whose answer (yes/no, an option letter) appears in every prompt of its kind. */
const CLOSED_ANSWER_TEMPLATES = ["compare-yes-no", "capital-choice", "parity-yes-no"];
const allTasks = (s: Suite): Task[] => SPLIT_NAMES.flatMap((split) => s.tasks[split]);
const ofFamily = (family: string) => allTasks(suite).filter((task) => task.category === family);

/** The trivial rule a tool-unnecessary task must pass: the answer is in the prompt, or one digit op one digit. */
/** The answer of a direct task whose answer is not copied from its prompt, by the rule a reader would apply. */
function trivialAnswer(question: string): string | undefined {
  const arithmetic = /\b(\d) ([+\-*×x]) (\d)\b/.exec(question);
  if (arithmetic !== null) {
    const [a, b] = [Number(arithmetic[1]), Number(arithmetic[3])];
    return String(arithmetic[2] === "+" ? a + b : arithmetic[2] === "-" ? a - b : a * b);
  }
  const comparison = /(\d+) (larger|smaller) than (?:the number )?(\d+)/.exec(question);
  if (comparison !== null) {
    const [a, b] = [Number(comparison[1]), Number(comparison[3])];
    return (comparison[2] === "larger" ? a > b : a < b) ? "yes" : "no";
  }
  const parity = /(\d+) (?:an )?(even|odd)\b/.exec(question);
  if (parity !== null) return (Number(parity[1]) % 2 === 0) === (parity[2] === "even") ? "yes" : "no";
  const capital = /(?:capital of the invented country \S+ is (\S+)\.|^(\S+) is the capital city)/.exec(
    question,
  );
  if (capital !== null) {
    const city = capital[1] ?? capital[2];
    return [...question.matchAll(/^([ABC])\. (.+)$/gm)].find((option) => option[2] === city)?.[1];
  }
  return undefined;
}

describe("generateSuite", () => {
  it("gives byte-identical suites for a seed and different suites for different seeds", () => {
    const options = { sizes: { train: 3, val: 2, test: 2 } };
    const first = JSON.stringify(generateSuite({ seed: 42, ...options }));
    expect(JSON.stringify(generateSuite({ seed: 42, ...options }))).toBe(first);
    const other = generateSuite({ seed: 43, ...options });
    expect(JSON.stringify(other)).not.toBe(first);
    const questions = new Set(allTasks(JSON.parse(first) as Suite).map((task) => task.question));
    // Different seeds draw different facts, not the same tasks reordered.
    const shared = allTasks(other).filter(
      (task) => task.category !== "image" && questions.has(task.question),
    );
    expect(shared.length).toBeLessThan(3);
  });

  it("makes the asked number of tasks per family and split, labelled with family and necessity", () => {
    for (const split of SPLIT_NAMES) {
      expect(suite.tasks[split]).toHaveLength(SIZES[split] * TASK_FAMILIES.length);
      for (const family of TASK_FAMILIES) {
        expect(suite.tasks[split].filter((task) => task.category === family)).toHaveLength(SIZES[split]);
      }
    }
    for (const task of allTasks(suite)) {
      expect(["required", "unnecessary"]).toContain(task.toolNecessity);
      expect(task.extraInfo?.split).toBeDefined();
    }
  });

  it("shares totals out over the chosen families, and refuses bad options with a TasksError", () => {
    const total = generateSuite({
      seed: 1,
      families: ["python", "direct"],
      total: { train: 5, val: 1, test: 2 },
    });
    expect(total.tasks.train.filter((task) => task.category === "direct")).toHaveLength(3);
    expect(total.tasks.train.filter((task) => task.category === "python")).toHaveLength(2);
    expect(total.tasks.val).toHaveLength(1);
    expect(allTasks(total).some((task) => task.category === "search")).toBe(false);
    const perFamily = generateSuite({
      seed: 1,
      families: ["direct", "search"],
      sizes: { search: { train: 1, val: 0, test: 0 } },
    });
    expect(perFamily.tasks.train.filter((task) => task.category === "search")).toHaveLength(1);
    expect(perFamily.tasks.train.filter((task) => task.category === "direct")).toHaveLength(48);
    expect(() => generateSuite({ seed: 1, sizes: { train: -1, val: 0, test: 0 } })).toThrow(TasksError);
    expect(() => generateSuite({ seed: 1, sizes: { train: 1.5, val: 0, test: 0 } })).toThrow(
      /sizes.train must be a whole number/,
    );
    // biome-ignore lint/suspicious/noExplicitAny: an unknown family is the point of the test
    expect(() => generateSuite({ seed: 1, families: ["poetry" as any] })).toThrow(/families must be/);
  });

  it("keeps splits disjoint: no id, no question (no picture for image tasks) in two splits", () => {
    const ids = allTasks(suite).map((task) => task.id);
    expect(new Set(ids).size).toBe(ids.length);
    const splitOf = new Map<string, string>();
    for (const split of SPLIT_NAMES) {
      for (const task of suite.tasks[split]) {
        const key = task.category === "image" ? `${task.images![0]}` : task.question;
        const earlier = splitOf.get(key);
        expect(earlier === undefined || earlier === split, `${task.id} repeats a task of ${earlier}`).toBe(
          true,
        );
        splitOf.set(key, split);
        if (task.category === "image")
          splitOf.set(`image-text:${task.extraInfo!.template}:${task.answer}`, split);
      }
    }
    expect(splitOf.size).toBeGreaterThanOrEqual(ids.length);
  });

  it("gives every task a ground truth the rule verifiers accept, and numeric truths the rules can reject", () => {
    for (const task of allTasks(suite)) {
      const truth = [task.answer as string];
      expect(verifyByRules({ groundTruth: truth, prediction: task.answer as string }).outcome, task.id).toBe(
        "match",
      );
      expect(
        verifyByRules({ groundTruth: truth, prediction: ` ${(task.answer as string).toLowerCase()} ` })
          .outcome,
      ).toBe("match");
      if (/^\d+$/.test(task.answer as string)) {
        // The default numeric tolerance is relative (1e-9), so an off-by-one slip on an 11-digit product still
        // matches; a one-in-a-million slip must not.
        const value = BigInt(task.answer as string);
        const wrong = String(value + 1n + value / 1_000_000n);
        expect(verifyByRules({ groundTruth: truth, prediction: wrong }).outcome, task.id).toBe("mismatch");
        // With the suite's exact tolerance even an off-by-one slip is wrong, and the exact answer still right.
        const offByOne = String(value + 1n);
        expect(
          verifyByRules({ groundTruth: truth, prediction: offByOne }, SUITE_NUMERIC_TOLERANCE).outcome,
        ).toBe("mismatch");
        expect(
          verifyByRules({ groundTruth: truth, prediction: String(value) }, SUITE_NUMERIC_TOLERANCE).outcome,
        ).toBe("match");
        expect(value < 2n ** 53n).toBe(true);
      }
    }
  });
});

describe("tool necessity", () => {
  it("direct tasks are unnecessary and answerable by a trivial rule from the prompt", () => {
    const direct = ofFamily("direct");
    expect(direct.length).toBeGreaterThan(0);
    for (const task of direct) {
      expect(task.toolNecessity).toBe("unnecessary");
      const answer = task.answer as string;
      const template = task.extraInfo!.template;
      // Yes/no and option letters appear in every such prompt: only the rule can tell the right one.
      if (CLOSED_ANSWER_TEMPLATES.includes(String(template))) {
        expect(trivialAnswer(task.question), task.question).toBe(answer);
      } else {
        expect(
          answerInText(answer, task.question) || trivialAnswer(task.question) === answer,
          task.question,
        ).toBe(true);
      }
    }
    expect(new Set(direct.map((task) => task.extraInfo!.template))).toEqual(new Set(SUITE_TEMPLATES.direct));
  });

  it("python tasks are required and their answer appears nowhere in the prompt", () => {
    const python = ofFamily("python");
    for (const task of python) {
      expect(task.toolNecessity).toBe("required");
      expect(answerSubstringOf(task.answer as string, task.question), task.question).toBe(false);
      expect(trivialAnswer(task.question)).toBeUndefined();
    }
    expect(new Set(python.map((task) => task.extraInfo!.template)).size).toBe(5);
  });

  it("python answers are right: products, sums and table aggregates recomputed independently", () => {
    let checked = 0;
    for (const task of ofFamily("python")) {
      const template = task.extraInfo!.template;
      if (template === "product") {
        const [a, b] = task.question.match(/\d{5,}/g)!.map(BigInt);
        expect(String(a! * b!)).toBe(task.answer);
        checked++;
      } else if (template === "big-sum") {
        const numbers = task.question.match(/\d{6,}/g)!.map(Number);
        expect(String(numbers.reduce((s, n) => s + n, 0))).toBe(task.answer);
        checked++;
      } else if (template === "table-aggregate") {
        const rows = [...task.question.matchAll(/^\| \d+ \| (\d+) \| (\d+) \|$/gm)].map(
          (m) => [Number(m[1]), Number(m[2])] as const,
        );
        expect(rows).toHaveLength(40);
        const ask = task.question.split("\n").at(-1)!;
        const threshold = Number(/greater than (\d+)/.exec(ask)?.[1]);
        const keep = ask.includes("odd")
          ? (a: number) => a % 2 === 1
          : ask.includes("even")
            ? (a: number) => a % 2 === 0
            : ask.includes("multiple of 3")
              ? (a: number) => a % 3 === 0
              : ask.includes("greater than")
                ? (a: number) => a > threshold
                : () => true;
        const product = ask.includes("A × B");
        const total = rows.filter(([a]) => keep(a)).reduce((s, [a, b]) => s + (product ? a * b : b), 0);
        expect(String(total)).toBe(task.answer);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(10);
  });

  it("search tasks are required and their facts live only in the corpus", () => {
    const corpusText = new Map(suite.corpus.map((doc) => [doc.id, doc.text]));
    for (const task of ofFamily("search")) {
      expect(task.toolNecessity).toBe("required");
      expect(answerInText(task.answer as string, task.question)).toBe(false);
      const document = corpusText.get(task.extraInfo!.documentId as string);
      expect(document, task.id).toBeDefined();
      expect(answerInText(task.answer as string, document!)).toBe(true);
    }
  });

  it("image tasks come in both kinds, each with one PNG", () => {
    const image = ofFamily("image");
    const kinds = new Set(image.map((task) => `${task.toolNecessity}:${task.extraInfo!.template}`));
    expect(kinds).toEqual(new Set(["required:tiny-text", "unnecessary:large-text"]));
    for (const task of image)
      expect(task.images).toEqual([expect.stringMatching(/^data:image\/png;base64,/)]);
  });
});

describe("generateSuite templates", () => {
  it("draws only the chosen templates of a family and all of the others", () => {
    const suite = generateSuite({
      seed: 5,
      families: ["direct", "python"],
      sizes: { train: 30, val: 0, test: 10 },
      templates: { python: ["product", "modular-power"], direct: ["capital"] },
    });
    const templatesOf = (category: string) =>
      new Set(
        [...suite.tasks.train, ...suite.tasks.test]
          .filter((task) => task.category === category)
          .map((task) => task.extraInfo?.template),
      );
    expect(templatesOf("python")).toEqual(new Set(["product", "modular-power"]));
    expect(templatesOf("direct")).toEqual(new Set(["capital"]));
  });

  it("lists every template a family draws", () => {
    const suite = generateSuite({
      seed: 1,
      families: ["direct", "python", "search"],
      sizes: { train: 120, val: 0, test: 0 },
    });
    for (const task of suite.tasks.train) {
      expect(SUITE_TEMPLATES[task.category as "direct"]).toContain(task.extraInfo?.template);
    }
  });

  it("is deterministic with templates", () => {
    const options = {
      seed: 3,
      families: ["search"] as const,
      sizes: { train: 8, val: 0, test: 4 },
      templates: { search: ["town-population"] },
    };
    expect(generateSuite(options)).toEqual(generateSuite(options));
  });

  it("balances the answers of closed-answer templates within every split, for any mix of templates", () => {
    for (const templates of [CLOSED_ANSWER_TEMPLATES, ["compare-yes-no"], undefined]) {
      const suite = generateSuite({
        seed: 9,
        families: ["direct"],
        sizes: { train: 301, val: 7, test: 64 },
        ...(templates !== undefined ? { templates: { direct: templates } } : {}),
      });
      for (const split of SPLIT_NAMES) {
        const counts = (template: string, labels: readonly string[]) => {
          const tasks = suite.tasks[split].filter((task) => task.extraInfo?.template === template);
          return labels.map((label) => tasks.filter((task) => task.answer === label).length);
        };
        for (const [template, labels] of [
          ["compare-yes-no", ["yes", "no"]],
          ["parity-yes-no", ["yes", "no"]],
          ["capital-choice", ["A", "B", "C"]],
        ] as const) {
          const perLabel = counts(template, labels);
          expect(
            Math.max(...perLabel) - Math.min(...perLabel),
            `${template} in ${split}: ${perLabel}`,
          ).toBeLessThanOrEqual(1);
        }
      }
      // The answers stay right (the trivial rule recomputes them from the question).
      for (const task of suite.tasks.train) {
        if (CLOSED_ANSWER_TEMPLATES.includes(String(task.extraInfo?.template))) {
          expect(trivialAnswer(task.question)).toBe(task.answer);
        }
      }
    }
  });

  it("names unknown templates and families", () => {
    expect(() => generateSuite({ seed: 0, templates: { python: ["product", "integral"] } })).toThrow(
      /unknown: integral/,
    );
    expect(() => generateSuite({ seed: 0, templates: { python: [] } })).toThrow(
      /templates.python must be a non-empty list/,
    );
    expect(() => generateSuite({ seed: 0, templates: { algebra: ["x"] } as never })).toThrow(
      /unknown family "algebra"/,
    );
  });
});
