import { describe, expect, it } from "vitest";
import { applyErrorPolicy, type ErrorPolicy } from "./error-policy";
import { JudgeError } from "./judge-error";
import { errorVerdict, llmVerdict, ruleVerdict } from "./verdict";

describe("applyErrorPolicy", () => {
  it("counts ok verdicts with their score under every policy", () => {
    for (const policy of ["incorrect", "exclude", "fail"] as const) {
      expect(applyErrorPolicy(llmVerdict(true), policy)).toEqual({ include: true, score: 1 });
      expect(applyErrorPolicy(ruleVerdict(false, "numeric"), policy)).toEqual({ include: true, score: 0 });
    }
  });

  it("scores an error 0 (incorrect), leaves it out (exclude) or throws with its cause (fail)", () => {
    const failed = errorVerdict("timeout: no reply within 30000 ms");
    expect(applyErrorPolicy(failed, "incorrect")).toEqual({ include: true, score: 0 });
    expect(applyErrorPolicy(failed, "exclude")).toEqual({ include: false, score: 0 });
    expect(() => applyErrorPolicy(failed, "fail")).toThrow(JudgeError);
    expect(() => applyErrorPolicy(failed, "fail")).toThrow(/timeout: no reply within 30000 ms/);
  });

  it("rejects an unknown policy and a non-finite score", () => {
    expect(() => applyErrorPolicy(llmVerdict(true), "ignore" as ErrorPolicy)).toThrow(
      /policy must be one of/,
    );
    expect(() => applyErrorPolicy({ ...llmVerdict(true), score: Number.NaN }, "exclude")).toThrow(/score/);
  });
});
