import { describe, expect, it } from "vitest";
import { parseReproArgs } from "./parse-repro-args";

describe("parseReproArgs", () => {
  it("defaults to seeds 0, 1, 2 and every method", () => {
    expect(parseReproArgs([])).toEqual({ seeds: [0, 1, 2], quiet: false, overrides: {} });
  });

  it("turns flags into seeds, methods and config overrides", () => {
    const args = parseReproArgs([
      "--preset",
      "default",
      "--seeds",
      "4, 7",
      "--methods",
      "grpo,hdpo-w0.15",
      "--rl-steps",
      "30",
      "--backend",
      "cpu",
      "--set",
      "rl.groupSize=8",
      "--set",
      'suite.families=["direct","python"]',
      "--out",
      "runs/r",
      "--doc",
      "docs/r.md",
      "--quiet",
    ]);
    expect(args).toEqual({
      preset: "default",
      seeds: [4, 7],
      methods: ["grpo", "hdpo-w0.15"],
      out: "runs/r",
      doc: "docs/r.md",
      quiet: true,
      overrides: {
        rl: { steps: 30, groupSize: 8 },
        backend: "cpu",
        suite: { families: ["direct", "python"] },
      },
    });
  });

  it("names a bad value", () => {
    expect(() => parseReproArgs(["--seeds", "0,x"])).toThrow(/--seeds takes whole numbers, got "x"/);
    expect(() => parseReproArgs(["--seeds", "1,1"])).toThrow(/repeats a seed/);
    expect(() => parseReproArgs(["--methods", "grpo,,hdpo-w0.15"])).toThrow(/without empty items/);
    expect(() => parseReproArgs(["--rl-steps", "many"])).toThrow(/--rl-steps must be a whole number/);
    expect(() => parseReproArgs(["--resume"])).toThrow(/resume/);
  });

  it("refuses --set on what the study sets per run", () => {
    expect(() => parseReproArgs(["--set", "rl.wTool=0.3"])).toThrow(/use --seeds and --methods/);
    expect(() => parseReproArgs(["--set", "seed=3"])).toThrow(/--set seed is set per run/);
  });
});
