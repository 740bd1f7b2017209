import { describe, expect, it } from "vitest";
import { formatDuration, TrainingProgress } from "./training-progress";

function capture(isTTY: boolean) {
  const chunks: string[] = [];
  return { stream: { write: (t: string) => chunks.push(t), isTTY }, text: () => chunks.join("") };
}

describe("TrainingProgress", () => {
  it("redraws a bar in place on a terminal, with the ETA and the metrics", () => {
    let now = 0;
    const out = capture(true);
    const progress = new TrainingProgress(out.stream, { lineIntervalS: 10, now: () => now });
    progress.startPhase("sft", 4);
    now = 2000;
    progress.step(1, ["loss 2.500"]);
    now = 4000;
    progress.step(2, ["loss 1.250"]);
    progress.note("checkpoint written");
    expect(out.text()).toBe(
      "\r\x1b[2K[######------------------] sft 1/4 ETA 6s loss 2.500" +
        "\r\x1b[2K[############------------] sft 2/4 ETA 4s loss 1.250" +
        "\ncheckpoint written\n",
    );
  });

  it("writes a plain line every interval off a terminal, the last step always, and nothing when quiet", () => {
    let now = 0;
    const out = capture(false);
    const progress = new TrainingProgress(out.stream, { lineIntervalS: 10, now: () => now });
    progress.startPhase("hdpo", 3, 1); // one step done by an earlier session: not counted in the ETA
    now = 1000;
    progress.step(2, ["acc 50.0%"]);
    now = 2000;
    progress.step(3, ["acc 60.0%"]);
    expect(out.text()).toBe("progress hdpo 2/3 ETA 1s acc 50.0%\nprogress hdpo 3/3 ETA 0s acc 60.0%\n");

    const silent = capture(true);
    const quiet = new TrainingProgress(silent.stream, { lineIntervalS: 10, quiet: true });
    quiet.startPhase("sft", 2);
    quiet.step(1, []);
    quiet.note("nothing");
    quiet.finish();
    expect(silent.text()).toBe("");
  });

  it("formats durations", () => {
    expect([formatDuration(42), formatDuration(185), formatDuration(3720)]).toEqual([
      "42s",
      "3m05s",
      "1h02m",
    ]);
  });
});
