import { describe, expect, it } from "vitest";
import type { DatumInput } from "../api/schemas";
import { alignDatum, DatumError } from "./datum-align";

function datum(input: number[], fields: Record<string, number[]>): DatumInput {
  const inputs: Record<string, { data: number[] }> = {};
  for (const [key, data] of Object.entries(fields)) inputs[key] = { data };
  return { model_input: { chunks: [{ type: "encoded_text", tokens: input }] }, loss_fn_inputs: inputs };
}

describe("alignDatum (fsdp alignment)", () => {
  it("takes full-length targets and defaults the weights to ones", () => {
    const aligned = alignDatum(datum([5, 6, 7], { target_tokens: [6, 7, 8] }), 0, false);
    expect(aligned.datum.targetTokens).toEqual([6, 7, 8]);
    expect(aligned.datum.weights).toEqual([1, 1, 1]);
    expect(aligned.window).toBe(3);
  });

  it("right-aligns short weights and target tails, padding with zeros on the left", () => {
    const aligned = alignDatum(datum([5, 6, 7, 8], { target_tokens: [8, 9], weights: [0.5, 2] }), 0, false);
    expect(aligned.datum.targetTokens).toEqual([6, 7, 8, 9]);
    expect(aligned.datum.weights).toEqual([0, 0, 0.5, 2]);
    expect(aligned.window).toBe(2);
  });

  it("refuses targets that are not the shifted input, and more weights than positions", () => {
    expect(() => alignDatum(datum([5, 6, 7], { target_tokens: [5, 6, 7] }), 2, false)).toThrow(
      /datum 2: target_tokens\[0\] is 5 but the input shifted by one has 6 there/,
    );
    expect(() => alignDatum(datum([5, 6], { target_tokens: [6, 7], weights: [1, 1, 1] }), 0, false)).toThrow(
      DatumError,
    );
    expect(() => alignDatum(datum([], { target_tokens: [1] }), 0, false)).toThrow(/no input tokens/);
  });

  it("RL losses need logprobs and advantages of the weights' length", () => {
    const ok = alignDatum(
      datum([5, 6, 7], {
        target_tokens: [7, 8],
        weights: [1, 1],
        logprobs: [-1, -2],
        advantages: [0.5, 0.5],
      }),
      0,
      true,
    );
    expect(ok.logprobs).toEqual([-1, -2]);
    expect(() =>
      alignDatum(
        datum([5, 6, 7], { target_tokens: [6, 7, 8], logprobs: [-1], advantages: [1, 1, 1] }),
        0,
        true,
      ),
    ).toThrow(/needs loss_fn_inputs.logprobs with one entry per weight \(3\), got 1/);
  });
});
