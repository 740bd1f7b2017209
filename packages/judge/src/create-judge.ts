import { normalizeAnswer } from "@hdpo/rewards";
import { CHOICE_LETTERS } from "./choice-match";
import { applyErrorPolicy, ERROR_POLICIES, type ErrorPolicy, type PolicyResult } from "./error-policy";
import { JudgeError } from "./judge-error";
import type { LatencySummary } from "./latency-window";
import type { LlmJudge, LlmJudgeMetrics } from "./llm-judge";
import { DEFAULT_NUMERIC_TOLERANCE, type NumericTolerance } from "./numeric-match";
import { ruleVerdict, type Verdict } from "./verdict";
import { verifyByRules } from "./verify-by-rules";

/** Options of {@link createJudge}. */
export interface JudgeOptions {
  /** Run the rule verifiers first; default true. Off: every answer goes to the LLM (the reference). */
  rules?: boolean;
  /** The LLM judge for what rules cannot decide; without one, undecided answers are incorrect. */
  llm?: LlmJudge;
  /** What {@link Judge.score} does with a failed judgement; default `"exclude"`. */
  errorPolicy?: ErrorPolicy;
  /** Numeric tolerance of the rule verifiers; default relative 1e-9, absolute 1e-12. */
  tolerance?: NumericTolerance;
}

/** One prediction to judge. */
export interface JudgeInput {
  /** The task's question (not the whole prompt); only the LLM judge reads it. */
  question: string;
  /** The ground truth, or a list of acceptable answers (the best verdict wins, like the reference's max). */
  groundTruth: string | readonly string[];
  prediction: string;
  /** Multiple-choice options in order (A first), when the task has them. */
  choices?: readonly string[];
}

/** Counters of a judge since it was created (the LLM's counters include other judges sharing it). */
export interface JudgeMetrics extends LlmJudgeMetrics {
  judgements: number;
  decidedBy: Record<Verdict["decidedBy"], number>;
}

/** A verdict together with what the error policy makes of it. */
export interface ScoredVerdict extends PolicyResult {
  verdict: Verdict;
}

/** A judge made by {@link createJudge}. */
export interface Judge {
  readonly errorPolicy: ErrorPolicy;
  /** Judges one prediction; a failed LLM judgement comes back as a verdict with `status: "error"`. */
  judge(input: JudgeInput): Promise<Verdict>;
  /** Judges, then applies the error policy; throws JudgeError under `"fail"` when the judgement failed. */
  score(input: JudgeInput): Promise<ScoredVerdict>;
  metrics(): JudgeMetrics;
}

const NO_LLM_CAUSE = "no rule could decide and no LLM judge is configured: the normalized answers differ";

/**
 * A cascade: empty inputs score 0 (as in the reference); the rule verifiers decide when they can; the LLM
 * judges only the ground truths no rule could decide, one at a time until one is CORRECT; with no LLM an
 * undecided answer is incorrect by `normalized-exact`. Every verdict says who decided.
 *
 * @throws JudgeError when an option is invalid.
 */
export function createJudge(options: JudgeOptions = {}): Judge {
  const rules = options.rules ?? true;
  const llm = options.llm;
  const errorPolicy = options.errorPolicy ?? "exclude";
  const tolerance = options.tolerance ?? DEFAULT_NUMERIC_TOLERANCE;
  if (!ERROR_POLICIES.includes(errorPolicy)) {
    throw new JudgeError(
      `createJudge: errorPolicy must be one of ${ERROR_POLICIES.join(", ")}, got ${String(errorPolicy)}.`,
    );
  }
  let judgements = 0;
  const decidedBy = { rule: 0, llm: 0, none: 0 };

  async function decide(input: JudgeInput): Promise<Verdict> {
    const truths = validate(input).filter((truth) => truth.trim() !== "");
    if (input.prediction.trim() === "") return ruleVerdict(false, "empty-input", "the prediction is empty");
    if (truths.length === 0) return ruleVerdict(false, "empty-input", "the ground truth is empty");
    let undecided = truths;
    if (rules) {
      const ruled = verifyByRules(
        {
          groundTruth: truths,
          prediction: input.prediction,
          ...(input.choices && { choices: input.choices }),
        },
        tolerance,
      );
      if (ruled.outcome !== "undecided") return ruleVerdict(ruled.outcome === "match", ruled.rule!);
      undecided = ruled.undecided.map((index) => truths[index]!);
    }
    if (llm === undefined) {
      const exact = normalizeAnswer(input.prediction);
      const matched = undecided.some((truth) => normalizeAnswer(truth) === exact);
      return ruleVerdict(matched, "normalized-exact", matched ? undefined : NO_LLM_CAUSE);
    }
    let failed: Verdict | undefined;
    let incorrect: Verdict | undefined;
    for (const groundTruth of undecided) {
      const verdict = await llm.judge({
        question: input.question,
        groundTruth,
        prediction: input.prediction,
      });
      if (verdict.status === "ok" && verdict.correct) return verdict;
      if (verdict.status === "error") failed ??= verdict;
      else incorrect ??= verdict;
    }
    // An error among the candidates means the answer might have been correct: no verdict can be given.
    return failed ?? incorrect!;
  }

  return {
    errorPolicy,
    async judge(input) {
      const verdict = await decide(input);
      judgements++;
      decidedBy[verdict.decidedBy]++;
      return verdict;
    },
    async score(input) {
      const verdict = await this.judge(input);
      return { verdict, ...applyErrorPolicy(verdict, errorPolicy) };
    },
    metrics() {
      const llmMetrics = llm?.metrics() ?? {
        calls: 0,
        retries: 0,
        cacheHits: 0,
        errors: {},
        latencyMs: { count: 0, p50: null, p95: null } satisfies LatencySummary,
      };
      return { judgements, decidedBy: { ...decidedBy }, ...llmMetrics };
    },
  };
}

function validate(input: JudgeInput): string[] {
  if (typeof input !== "object" || input === null) {
    throw new JudgeError(`judge: input must be { question, groundTruth, prediction }, got ${String(input)}.`);
  }
  for (const field of ["question", "prediction"] as const) {
    if (typeof input[field] !== "string") {
      throw new JudgeError(`judge: ${field} must be a string, got ${typeof input[field]}.`);
    }
  }
  const truths = typeof input.groundTruth === "string" ? [input.groundTruth] : input.groundTruth;
  if (!Array.isArray(truths) || truths.some((truth) => typeof truth !== "string")) {
    throw new JudgeError("judge: groundTruth must be a string or an array of strings (acceptable answers).");
  }
  if (
    input.choices !== undefined &&
    (!Array.isArray(input.choices) ||
      input.choices.length > CHOICE_LETTERS.length ||
      input.choices.some((choice) => typeof choice !== "string"))
  ) {
    throw new JudgeError(
      `judge: choices must be an array of at most ${CHOICE_LETTERS.length} strings (options A–J).`,
    );
  }
  return [...truths];
}
