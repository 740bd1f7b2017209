import { describe, expect, it } from "vitest";
import { ResponseBudget } from "./budget";

describe("ResponseBudget", () => {
  it("gives min(maxAction, maxResponse − used)", () => {
    const b = new ResponseBudget(100, 30);
    expect(b.nextTurnMaxTokens()).toBe(30); // min(30, 100)
    b.spend(80);
    expect(b.nextTurnMaxTokens()).toBe(20); // min(30, 100 − 80)
    b.spend(25);
    expect(b.nextTurnMaxTokens()).toBe(-5); // 100 − 105: the loop stops at ≤ 0
    expect(b.used).toBe(105);
  });

  it("rejects bad limits and spends", () => {
    expect(() => new ResponseBudget(0, 1)).toThrow(/maxResponseTokens/);
    expect(() => new ResponseBudget(10, Number.NaN)).toThrow(/maxActionTokens/);
    expect(() => new ResponseBudget(10, 10).spend(-1)).toThrow(/non-negative/);
    expect(() => new ResponseBudget(10, 10).spend(Number.POSITIVE_INFINITY)).toThrow(/finite/);
  });
});
