import type { Prediction } from "@hdpo/evaluation";
import { describe, expect, it } from "vitest";
import { formatDuration, ProgressReporter } from "./progress";

const done = (toolCalls: number, score: number) => ({ toolCalls, score, included: true }) as Prediction;

describe("ProgressReporter", () => {
  it("redraws a bar with ETA, accuracy and tool-use rate on a terminal", () => {
    let clock = 0;
    const out: string[] = [];
    const progress = new ProgressReporter(
      { write: (t: string) => out.push(t), isTTY: true },
      { total: 4, now: () => clock },
    );
    clock = 2000;
    progress.update(done(1, 1));
    clock = 4000;
    progress.update(done(0, 0));
    expect(out[1]).toBe("\r[############------------] 2/4 50% ETA 4s acc 50.0% tool-use 50.0%");
    progress.finish();
    expect(out.at(-1)).toBe("\n");
  });

  it("writes a plain line at most every interval off a terminal, and the last one always", () => {
    let clock = 0;
    const out: string[] = [];
    const progress = new ProgressReporter(
      { write: (t: string) => out.push(t) },
      { total: 3, lineIntervalS: 5, now: () => clock, resumed: [done(1, 1)] },
    );
    progress.update(done(0, 1));
    clock = 1000;
    progress.update(done(0, 1));
    clock = 2000;
    progress.update(done(0, 0));
    expect(out).toEqual([
      "progress 1/3 33% ETA 0s acc 100.0% tool-use 50.0%\n",
      "progress 3/3 100% ETA 0s acc 75.0% tool-use 25.0%\n",
    ]);
  });

  it("formats durations", () => {
    expect([formatDuration(42), formatDuration(185), formatDuration(3720)]).toEqual([
      "42s",
      "3m05s",
      "1h02m",
    ]);
  });
});
