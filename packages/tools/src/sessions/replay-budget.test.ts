import { describe, expect, it } from "vitest";
import { ReplayBudget } from "./replay-budget";
import { TrajectoryState } from "./trajectory-state";

describe("ReplayBudget (shared by all trajectories)", () => {
  it("drops the least recently used histories first until the total fits, and counts them", () => {
    const budget = new ReplayBudget(100);
    const [a, b, c] = ["a", "b", "c"].map((id) => new TrajectoryState(id, 0, budget));
    a!.rememberPython("x".repeat(20)); // 40 bytes
    b!.rememberPython("y".repeat(20)); // 80
    a!.rememberPython("z"); // 82, a is now the most recent
    c!.rememberPython("w".repeat(20)); // 122 > 100: b (least recent) goes
    expect(b!.pythonReplayable).toBe(false);
    expect(b!.pythonHistory).toEqual([]);
    expect(a!.pythonHistory).toEqual(["x".repeat(20), "z"]);
    expect(c!.pythonReplayable).toBe(true);
    expect(budget.bytes).toBe(82);
    expect(budget.dropped).toBe(1);
    // A dropped history stays dropped (nothing more is recorded) until the session starts clean.
    b!.rememberPython("v");
    expect(b!.pythonHistory).toEqual([]);
    expect(budget.bytes).toBe(82);
  });

  it("drops a history that does not fit even alone, and frees what a reset or close gives back", () => {
    const budget = new ReplayBudget(100);
    const small = new TrajectoryState("small", 0, budget);
    const huge = new TrajectoryState("huge", 0, budget);
    small.rememberPython("s".repeat(10));
    huge.rememberPython("h".repeat(60)); // 120 alone: small goes first, then huge itself
    expect(huge.pythonReplayable).toBe(false);
    expect(small.pythonReplayable).toBe(false);
    expect(budget.bytes).toBe(0);
    expect(budget.dropped).toBe(2);
    small.resetPython();
    small.rememberPython("t".repeat(30));
    expect(budget.bytes).toBe(60);
    small.resetPython();
    expect(budget.bytes).toBe(0);
  });

  it("refuses a budget that is not a positive integer", () => {
    expect(() => new ReplayBudget(0)).toThrow(/maxReplayBytes/);
    expect(() => new ReplayBudget(1.5)).toThrow(/maxReplayBytes/);
  });
});
