import { JudgeError } from "./judge-error";
import type { Verdict } from "./verdict";

/**
 * What a failed judgement counts as: `"incorrect"` scores it 0 like the reference, `"exclude"` leaves the
 * rollout out of the metric, `"fail"` stops the run.
 */
export type ErrorPolicy = "incorrect" | "exclude" | "fail";

/** The error policies, for validation and CLI choices. */
export const ERROR_POLICIES: readonly ErrorPolicy[] = ["incorrect", "exclude", "fail"];

/** A verdict under an error policy: whether it counts, and with what score. */
export interface PolicyResult {
  include: boolean;
  score: number;
}

/**
 * Applies `policy` to a verdict. An `ok` verdict always counts with its score; an `error` verdict counts as
 * 0 (`incorrect`), is left out (`exclude`), or throws (`fail`).
 *
 * @throws JudgeError for an error verdict under `"fail"` (with its cause), for an unknown policy, or for a
 * verdict whose score is not a finite number in [0, 1].
 */
export function applyErrorPolicy(verdict: Verdict, policy: ErrorPolicy): PolicyResult {
  if (!ERROR_POLICIES.includes(policy)) {
    throw new JudgeError(
      `applyErrorPolicy: policy must be one of ${ERROR_POLICIES.join(", ")}, got ${String(policy)}.`,
    );
  }
  if (typeof verdict?.score !== "number" || !(verdict.score >= 0 && verdict.score <= 1)) {
    throw new JudgeError(
      `applyErrorPolicy: verdict.score must be a number in [0, 1], got ${String(verdict?.score)}.`,
    );
  }
  if (verdict.status === "ok") return { include: true, score: verdict.score };
  if (policy === "incorrect") return { include: true, score: 0 };
  if (policy === "exclude") return { include: false, score: 0 };
  throw new JudgeError(
    `applyErrorPolicy: the judgement failed (${verdict.cause ?? "no cause given"}) and the error policy is "fail"; fix the judge endpoint or use "exclude"/"incorrect".`,
  );
}
