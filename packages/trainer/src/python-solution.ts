import type { Task } from "@hdpo/core";

/**
 * Python that computes a suite task's answer from the numbers in its question, as a cold-start demonstration
 * of using the tool to compute rather than to guess. Undefined for a question this does not know how to solve
 * (the caller then falls back to a reflexive `print` of the answer).
 */
export function pythonSolution(task: Task): string | undefined {
  const template = typeof task.extraInfo?.template === "string" ? task.extraInfo.template : "";
  const q = task.question;
  switch (template) {
    case "product": {
      const [a, b] = integers(q);
      return a !== undefined && b !== undefined ? `print(${a} * ${b})` : undefined;
    }
    case "big-sum": {
      const listed = integers(q.slice(firstIndexOf(q, [":", "?"]) + 1));
      return listed.length > 0 ? `nums = [${listed.join(", ")}]\nprint(sum(nums))` : undefined;
    }
    case "modular-power": {
      const [base, exponent, modulus] = integers(q);
      return modulus !== undefined ? `print(pow(${base}, ${exponent}, ${modulus}))` : undefined;
    }
    case "digit-sum-of-power": {
      const match = /(\d+)\^(\d+)/.exec(q);
      return match ? `print(sum(int(d) for d in str(${match[1]} ** ${match[2]})))` : undefined;
    }
    case "table-aggregate":
      return tableSolution(q);
    case "one-digit-arithmetic": {
      const match = /(\d+)\s*([+\-*×x])\s*(\d+)/.exec(q);
      if (!match) return undefined;
      const op = match[2] === "+" || match[2] === "-" ? match[2] : "*";
      return `print(${match[1]} ${op} ${match[3]})`;
    }
    case "compare-yes-no": {
      const [a, b] = integers(q);
      const relation = /\bsmaller\b/.test(q) ? "<" : ">";
      return b !== undefined ? `print("yes" if ${a} ${relation} ${b} else "no")` : undefined;
    }
    case "parity-yes-no": {
      const [number] = integers(q);
      const remainder = /\bodd\b/.test(q) ? 1 : 0;
      return number !== undefined ? `print("yes" if ${number} % 2 == ${remainder} else "no")` : undefined;
    }
    case "larger-number": {
      const [a, b] = integers(q);
      return b !== undefined ? `print(max(${a}, ${b}))` : undefined;
    }
    default:
      return undefined;
  }
}

function integers(text: string): string[] {
  return [...text.matchAll(/\d+/g)].map((m) => m[0]);
}

function firstIndexOf(text: string, marks: readonly string[]): number {
  const found = marks.map((m) => text.indexOf(m)).filter((i) => i >= 0);
  return found.length > 0 ? Math.min(...found) : -1;
}

function tableSolution(question: string): string | undefined {
  const rows = [...question.matchAll(/^\| (\d+) \| (\d+) \| (\d+) \|$/gm)].map((m) => `(${m[2]}, ${m[3]})`);
  if (rows.length === 0) return undefined;
  const ask = question.slice(question.lastIndexOf("What is"));
  let expression: string;
  if (ask.includes("A × B")) expression = "sum(a * b for a, b in rows)";
  else if (ask.includes("A is odd")) expression = "sum(b for a, b in rows if a % 2 == 1)";
  else if (ask.includes("A is even")) expression = "sum(b for a, b in rows if a % 2 == 0)";
  else if (ask.includes("multiple of 3")) expression = "sum(b for a, b in rows if a % 3 == 0)";
  else {
    const threshold = /greater than (\d+)/.exec(ask)?.[1];
    if (threshold === undefined) return undefined;
    expression = `sum(b for a, b in rows if a > ${threshold})`;
  }
  return `rows = [${rows.join(", ")}]\nprint(${expression})`;
}
