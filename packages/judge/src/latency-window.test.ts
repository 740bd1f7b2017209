import { describe, expect, it } from "vitest";
import { LatencyWindow } from "./latency-window";

describe("LatencyWindow", () => {
  it("is null until a sample arrives", () => {
    expect(new LatencyWindow().summary()).toEqual({ count: 0, p50: null, p95: null });
  });

  it("gives nearest-rank percentiles", () => {
    const window = new LatencyWindow();
    // 1..20 shuffled: p50 = 10th smallest = 10, p95 = ceil(0.95·20) = 19th smallest = 19
    for (const ms of [20, 3, 17, 1, 9, 12, 5, 14, 8, 19, 2, 11, 16, 6, 10, 18, 4, 13, 7, 15])
      window.record(ms);
    window.record(Number.NaN);
    window.record(-1);
    expect(window.summary()).toEqual({ count: 20, p50: 10, p95: 19 });
  });

  it("keeps only the most recent samples", () => {
    const window = new LatencyWindow(3);
    for (const ms of [100, 100, 100, 1, 2, 3]) window.record(ms);
    // window = [1, 2, 3]: p50 = 2nd = 2, p95 = ceil(2.85) = 3rd = 3
    expect(window.summary()).toEqual({ count: 6, p50: 2, p95: 3 });
  });
});
