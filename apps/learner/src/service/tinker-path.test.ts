import { describe, expect, it } from "vitest";
import { parseTinkerPath } from "./tinker-path";

describe("parseTinkerPath", () => {
  it("parses the two forms SkyRL accepts and nothing else", () => {
    expect(parseTinkerPath("tinker://model_1/weights/step_1")).toEqual({
      primaryId: "model_1",
      kind: "weights",
      secondaryId: "step_1",
    });
    expect(parseTinkerPath("tinker://model_1/final")).toEqual({
      primaryId: "model_1",
      kind: "",
      secondaryId: "final",
    });
    expect(parseTinkerPath("tinker://model_1/a/b?x=1#y")).toEqual({
      primaryId: "model_1",
      kind: "a",
      secondaryId: "b",
    });
    for (const bad of ["http://model_1/weights/x", "tinker://model_1", "tinker://m/a/b/c", "weights/x"]) {
      expect(parseTinkerPath(bad), bad).toBeUndefined();
    }
  });
});
