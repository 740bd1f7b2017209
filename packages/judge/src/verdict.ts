import type { Verdict } from "@hdpo/core";

export type { Verdict };

/** A verdict decided by the rule verifier `rule`. */
export function ruleVerdict(correct: boolean, rule: string, cause?: string): Verdict {
  const verdict: Verdict = { status: "ok", score: correct ? 1 : 0, correct, decidedBy: "rule", rule };
  if (cause !== undefined) verdict.cause = cause;
  return verdict;
}

/** A verdict decided by the LLM judge. */
export function llmVerdict(correct: boolean): Verdict {
  return { status: "ok", score: correct ? 1 : 0, correct, decidedBy: "llm" };
}

/** A failed judgement: no answer, score 0, and why. */
export function errorVerdict(cause: string): Verdict {
  return { status: "error", score: 0, correct: false, decidedBy: "none", cause };
}
