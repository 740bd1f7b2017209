import { describe, expect, it } from "vitest";
import { describeValue } from "./validate";

describe("describeValue", () => {
  it("shows numbers as JavaScript prints them, keeping the sign of -0", () => {
    expect(describeValue(Number.NaN)).toBe("NaN");
    expect(describeValue(-0)).toBe("-0");
    expect(describeValue(0.5)).toBe("0.5");
  });

  it("quotes strings and cuts long ones", () => {
    expect(describeValue("ab")).toBe('"ab" (a string)');
    expect(describeValue("x".repeat(100))).toBe(`"${"x".repeat(40)}…" (a string)`);
  });

  it("names other kinds of value", () => {
    expect(describeValue(3n)).toBe("3n (a bigint)");
    expect(describeValue(null)).toBe("null");
    expect(describeValue(undefined)).toBe("undefined");
    expect(describeValue([1, 2])).toBe("an array of length 2");
    expect(describeValue({})).toBe("a value of type object");
    expect(describeValue(() => 1)).toBe("a value of type function");
  });
});
