import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { capturedIo } from "../test-support/captured-io";
import { TINY_CONFIG } from "../test-support/tiny-config";
import { main } from "./main";
import { parseTrainArgs } from "./parse-train-args";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "hdpo-train-cli-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("parseTrainArgs", () => {
  it("turns flags into config overrides", () => {
    const args = parseTrainArgs([
      "--preset",
      "default",
      "--sft-steps",
      "5",
      "--rl-steps",
      "2",
      "--backend",
      "cpu",
      "--set",
      "rl.wTool=0.2",
      "--set",
      'suite.families=["direct"]',
      "--resume",
    ]);
    expect(args).toMatchObject({ preset: "default", resume: true, quiet: false });
    expect(args.overrides).toEqual({
      sft: { steps: 5 },
      rl: { steps: 2, wTool: 0.2 },
      backend: "cpu",
      suite: { families: ["direct"] },
    });
  });

  it("names a bad flag value", () => {
    expect(() => parseTrainArgs(["--rl-steps", "two"])).toThrow(
      /--rl-steps must be a whole number, got "two"/,
    );
    expect(() => parseTrainArgs(["--set", "nope"])).toThrow(/--set needs PATH=VALUE/);
    expect(() => parseTrainArgs(["--bogus"])).toThrow(/bogus/);
  });
});

describe("hdpo-train", () => {
  it("prints the usage", async () => {
    const b = capturedIo();
    expect(await main(["--help"], b.io)).toBe(0);
    expect(b.out()).toContain("hdpo-train run");
  });

  it("fails fast on a bad config, naming the field, before any work", async () => {
    const file = join(dir, "bad.json");
    await writeFile(file, JSON.stringify({ rl: { groupSize: 0 } }));
    const b = capturedIo();
    expect(await main(["run", "--config", file, "--out", join(dir, "never")], b.io)).toBe(1);
    expect(b.err()).toMatch(/^hdpo-train: invalid config \(.*bad\.json and flags\): rl\.groupSize: /);
  });

  it("needs --out to resume", async () => {
    const b = capturedIo();
    expect(await main(["run", "--resume"], b.io)).toBe(1);
    expect(b.err()).toBe("hdpo-train: --resume needs --out DIR, the run to continue.\n");
  });

  it("runs a tiny config end to end and prints the before/after table", async () => {
    const file = join(dir, "tiny.json");
    await writeFile(file, JSON.stringify({ ...TINY_CONFIG, rl: { ...TINY_CONFIG.rl, steps: 1 } }));
    const out = join(dir, "run");
    const b = capturedIo();
    expect(await main(["run", "--config", file, "--out", out, "--sft-steps", "2", "--quiet"], b.io)).toBe(0);
    expect(b.out()).toMatch(/held-out test\s+SFT\s+HDPO/);
    expect(b.out()).toMatch(/tool use, unnecessary/);
    expect(b.out()).toContain(join(out, "report.html"));
    expect(b.err()).toBe(""); // quiet
    const summary = JSON.parse(await readFile(join(out, "summary.json"), "utf8"));
    expect(summary.steps).toEqual({ sft: 2, copyWarmup: 2, rl: 1 });
    expect(summary.preset).toBeNull();
  }, 120_000);
});
