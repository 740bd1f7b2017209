import { describe, expect, it } from "vitest";
import type { EvalResult } from "./eval-result";
import { DEAD_BACKEND, requireFinished } from "./run-failures";

const EMPTY: EvalResult = {
  accuracy: null,
  toolRateUnnecessary: null,
  toolRateNecessary: null,
  toolRate: null,
  meanToolCalls: null,
  accuracyUnnecessary: null,
  accuracyNecessary: null,
  n: 0,
  nUnnecessary: 0,
  nNecessary: 0,
  errors: 6,
  firstError: "LocalPolicy.generate: the conversation is 900 tokens",
  wallMs: 1,
};

describe("run failures", () => {
  it("recognises a dead wasm module by its abort messages", () => {
    expect(DEAD_BACKEND.test("Aborted(). Build with -sASSERTIONS for more info.")).toBe(true);
    expect(DEAD_BACKEND.test("table index is out of bounds")).toBe(true);
    expect(DEAD_BACKEND.test("python: timeout after 10 s")).toBe(false);
  });

  it("refuses an evaluation where no rollout finished, saying why", () => {
    expect(() => requireFinished("HDPO", EMPTY)).toThrow(
      /every rollout of the HDPO evaluation failed; the first: LocalPolicy\.generate/,
    );
    expect(() => requireFinished("SFT", { ...EMPTY, firstError: "Aborted()" })).toThrow(
      /tensor backend failed.*--resume/,
    );
    const finished = { ...EMPTY, n: 1, errors: 5, accuracy: 0 };
    expect(requireFinished("SFT", finished)).toBe(finished);
  });
});
