import type { LearnerDatum } from "@hdpo/core";
import { describe, expect, it } from "vitest";
import { toWireData } from "./wire-datum";

const datum = (over: Partial<LearnerDatum> = {}): LearnerDatum => ({
  modelInput: [
    { type: "encoded_text", tokens: [5, 6] },
    { type: "encoded_text", tokens: [7] },
  ],
  targetTokens: [6, 7, 8],
  ...over,
});

describe("toWireData", () => {
  it("sends one text chunk and full-length targets and weights (1 where none are given)", () => {
    const wire = toWireData([datum(), datum({ weights: [0, 0.5, -2] })], "forward");
    expect(wire.data[0]).toEqual({
      model_input: { chunks: [{ type: "encoded_text", tokens: [5, 6, 7] }] },
      loss_fn_inputs: {
        target_tokens: { data: [6, 7, 8], dtype: "int64", shape: [3] },
        weights: { data: [1, 1, 1], dtype: "float32", shape: [3] },
      },
    });
    expect(wire.weights).toEqual([
      [1, 1, 1],
      [0, 0.5, -2],
    ]);
  });

  it("refuses targets that are not the input shifted by one", () => {
    expect(() => toWireData([datum({ targetTokens: [6, 9, 8] })], "forward")).toThrow(
      "forward: datum 0: target 1 is 9 but input 2 is 7; targets must be the input shifted by one",
    );
  });

  it("refuses length mismatches, bad ids and non-finite weights", () => {
    expect(() => toWireData([datum({ targetTokens: [6, 7] })], "f")).toThrow(
      "3 input tokens and 2 target tokens",
    );
    expect(() => toWireData([datum({ weights: [1, 1] })], "f")).toThrow(
      "weights has 2 entries for 3 targets",
    );
    expect(() => toWireData([datum({ weights: [1, Number.NaN, 1] })], "f")).toThrow("weights[1] is NaN");
    expect(() => toWireData([datum({ targetTokens: [6, 7, -1] })], "f")).toThrow("target token 2 is -1");
    expect(() => toWireData([], "f")).toThrow("no data");
  });

  it("refuses non-zero entropy weights (no API field) and accepts all-zero ones", () => {
    expect(() => toWireData([datum({ entropyWeights: [0, 0.01, 0] })], "forwardBackward")).toThrow(
      "forwardBackward: datum 0 has non-zero entropyWeights, but the Tinker API has no entropy term per request",
    );
    expect(toWireData([datum({ entropyWeights: [0, 0, 0] })], "forwardBackward").data).toHaveLength(1);
  });

  it("refuses image chunks", () => {
    const image = datum({
      modelInput: [
        { type: "image", data: "AAAA", format: "png" },
        { type: "encoded_text", tokens: [5, 6, 7] },
      ],
    });
    expect(() => toWireData([image], "forward")).toThrow(
      "has a image chunk, but the Tinker client sends text only",
    );
  });
});
