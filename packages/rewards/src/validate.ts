import { RewardsError } from "./rewards-error";

const MAX_SHOWN_STRING = 40;

/** Shows a received value in an error message without dumping a whole response into it. */
export function describeValue(value: unknown): string {
  if (typeof value === "number") return Object.is(value, -0) ? "-0" : String(value);
  if (typeof value === "string") {
    const shown = value.length > MAX_SHOWN_STRING ? `${value.slice(0, MAX_SHOWN_STRING)}…` : value;
    return `${JSON.stringify(shown)} (a string)`;
  }
  if (typeof value === "bigint") return `${value}n (a bigint)`;
  if (value === null) return "null";
  if (value === undefined) return "undefined";
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  return `a value of type ${typeof value}`;
}

/** A score the reward formulas accept: a finite number in [0, 1]. */
export function isUnitScore(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value) && value >= 0 && value <= 1;
}

/** A tool-call count: the number of tool requests a rollout sent, a non-negative safe integer. */
export function isToolCallCount(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

export function unitScoreError(where: string, name: string, value: unknown): RewardsError {
  return new RewardsError(
    `${where}: ${name} must be a finite number in [0, 1], got ${describeValue(value)}. ` +
      "Pass the judge's answer score or formatReward's format score; clamp or fix whatever produced it.",
  );
}

export function toolCallCountError(where: string, name: string, value: unknown): RewardsError {
  return new RewardsError(
    `${where}: ${name} must be a non-negative integer (the number of tool requests the rollout sent), ` +
      `got ${describeValue(value)}.`,
  );
}

export function assertUnitScore(value: unknown, where: string, name: string): asserts value is number {
  if (!isUnitScore(value)) throw unitScoreError(where, name, value);
}

export function assertToolCallCount(value: unknown, where: string, name: string): asserts value is number {
  if (!isToolCallCount(value)) throw toolCallCountError(where, name, value);
}

export function assertString(value: unknown, where: string, name: string): asserts value is string {
  if (typeof value !== "string") {
    throw new RewardsError(
      `${where}: ${name} must be a string (the decoded response text), got ${describeValue(value)}.`,
    );
  }
}

export function assertBoolean(value: unknown, where: string, name: string): asserts value is boolean {
  if (typeof value !== "boolean") {
    throw new RewardsError(
      `${where}: ${name} must be a boolean, got ${describeValue(value)}. ` +
        "Derive it from the answer score with isCorrect(answerScore).",
    );
  }
}
