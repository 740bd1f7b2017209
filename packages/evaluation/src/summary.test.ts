import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { quantile } from "./percentile";
import { summarize } from "./summary";
import { examplePrediction as item } from "./testing";

const context = { errorPolicy: "exclude" as const, planned: 4, complete: true };
const judgeError = {
  verdict: {
    status: "error" as const,
    score: 0,
    correct: false,
    decidedBy: "none" as const,
    cause: "timeout after 30000 ms",
  },
  included: false,
  score: 0,
};

describe("summarize", () => {
  it("computes accuracy over scored items, tool use over all, timings, tokens and judge counts", () => {
    const s = summarize(
      [
        item("a", { category: "x" }),
        item("b", {
          category: "x",
          toolCalls: 3,
          toolCallsByName: { python: 2, search: 1 },
          invalidToolCalls: 1,
          timings: { totalMs: 300, modelMs: 100, toolMs: 180, judgeMs: 5 },
        }),
        item("c", { category: "y", ...judgeError }),
        item("d", {
          verdict: { status: "ok", score: 0, correct: false, decidedBy: "llm" },
          score: 0,
          finishReason: "error",
          error: "boom",
        }),
      ],
      context,
    );
    expect(s).toMatchObject({
      n: 4,
      scored: 3,
      excluded: 1,
      judgeErrors: 1,
      invalidToolCalls: 1,
    });
    expect(s.accuracy).toBeCloseTo(2 / 3, 12);
    expect(s.toolUseRate).toBe(0.25);
    expect(s.meanToolCalls).toBe(0.75);
    expect(s.toolCallsHistogram).toEqual({ "0": 3, "3": 1 });
    expect(s.toolCallsByName).toEqual({ python: 2, search: 1 });
    expect(s.perCategory).toEqual({
      "(none)": { n: 1, scored: 1, accuracy: 0, toolUseRate: 0, meanToolCalls: 0 },
      x: { n: 2, scored: 2, accuracy: 1, toolUseRate: 0.5, meanToolCalls: 1.5 },
      y: { n: 1, scored: 0, accuracy: null, toolUseRate: 0, meanToolCalls: 0 },
    });
    expect(s.latencyMs.p50).toBe(100);
    expect(s.latencyMs.p95).toBeCloseTo(270, 9);
    expect(s.latencyMs.mean).toBe(150);
    expect(s.timeMs).toEqual({ model: 280, tools: 240, judge: 20 });
    expect(s.modelTimeShare).toBeCloseTo(280 / 520, 12);
    expect(s.tokens).toEqual({ prompt: 40, completion: 20, observation: 8 });
    expect(s.judge.decidedBy).toEqual({ rule: 2, llm: 1, none: 1 });
    expect(s.judge.errorCauses).toEqual({ "timeout after 30000 ms": 1 });
    expect(s.finishReasons).toEqual({ answer: 3, error: 1 });
    expect("blindToolRate" in s).toBe(false);
  });

  it("builds the meta-cognitive confusion matrix only from labelled items", () => {
    const s = summarize(
      [
        item("r1", { toolNecessity: "required", toolCalls: 1 }),
        item("r2", {
          toolNecessity: "required",
          score: 0,
          verdict: { status: "ok", score: 0, correct: false, decidedBy: "rule" },
        }),
        item("u1", { toolNecessity: "unnecessary", toolCalls: 2 }),
        item("u2", { toolNecessity: "unnecessary" }),
        item("u3", { toolNecessity: "unnecessary" }),
        item("n1", { toolNecessity: "unknown", toolCalls: 1 }),
        item("n2", { toolCalls: 1 }),
      ],
      context,
    );
    expect(s.toolNecessity!.confusion).toEqual({
      required: { used: 1, notUsed: 1 },
      unnecessary: { used: 1, notUsed: 2 },
    });
    expect(s.blindToolRate).toBeCloseTo(1 / 3, 12);
    expect(s.missedToolRate).toBe(0.5);
    expect(s.toolNecessity!.accuracy).toEqual({ required: 0.5, unnecessary: 1 });
  });

  it("gives null rates for an empty run rather than dividing by zero", () => {
    const s = summarize([], { ...context, planned: 0 });
    expect(s).toMatchObject({
      n: 0,
      accuracy: null,
      toolUseRate: null,
      meanToolCalls: null,
      latencyMs: { p50: null, p95: null, mean: null },
    });
  });

  it("does not depend on the order of the predictions (a resumed run writes them in another order)", () => {
    const arb = fc.array(
      fc.record({
        toolCalls: fc.nat(4),
        score: fc.constantFrom(0, 1),
        category: fc.constantFrom("a", "b", "c"),
        totalMs: fc.nat(1000),
      }),
      { maxLength: 30 },
    );
    fc.assert(
      fc.property(arb, fc.integer(), (rows, seed) => {
        const items = rows.map((r, i) =>
          item(`i${i}`, {
            toolCalls: r.toolCalls,
            toolCallsByName: r.toolCalls > 0 ? { python: r.toolCalls } : {},
            score: r.score,
            category: r.category,
            timings: { totalMs: r.totalMs, modelMs: 1, toolMs: 1, judgeMs: 1 },
          }),
        );
        const shuffled = [...items].sort(
          (x, y) => ((x.id.length * 31 + seed) % 7) - ((y.id.length * 17 + seed) % 5),
        );
        expect(JSON.stringify(summarize(shuffled, context))).toBe(JSON.stringify(summarize(items, context)));
      }),
      { numRuns: 50 },
    );
  });
});

describe("quantile", () => {
  it("interpolates linearly between order statistics like numpy", () => {
    expect(quantile([4, 1, 3, 2], 0.5)).toBe(2.5);
    expect(quantile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.95)).toBeCloseTo(9.55, 12);
    expect(quantile([7], 0.95)).toBe(7);
    expect(quantile([], 0.5)).toBeNull();
  });
});
