import { summarize } from "@hdpo/evaluation";
import { examplePrediction } from "@hdpo/evaluation/testing";
import { describe, expect, it } from "vitest";
import { accCsv } from "./acc-csv";

describe("acc.csv", () => {
  it("has VLMEvalKit's split / Overall / per-category columns, quoting awkward names", () => {
    const s = summarize(
      [examplePrediction("a", { category: "x, y" }), examplePrediction("b", { category: "z", score: 0 })],
      { errorPolicy: "exclude", planned: 2, complete: true },
    );
    expect(accCsv(s)).toBe('split,Overall,"x, y",z\nnone,0.5,1,0\n');
  });
});
