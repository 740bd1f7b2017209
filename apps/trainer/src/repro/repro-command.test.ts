import { access, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TINY_CONFIG } from "@hdpo/trainer/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../cli/main";
import { capturedIo } from "../test-support/captured-io";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "hdpo-repro-cli-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("hdpo-train repro", () => {
  it("lists the repro flags in the usage", async () => {
    const b = capturedIo();
    expect(await main(["repro", "--help"], b.io)).toBe(0);
    expect(b.out()).toContain("hdpo-train repro");
    expect(b.out()).toContain(
      "grpo, hdpo-w0.10, hdpo-w0.15, hdpo-w0.20, additive-a0.05, additive-a1, per-call-a0.3",
    );
  });

  it("refuses an unknown method before any work", async () => {
    const b = capturedIo();
    const out = join(dir, "never");
    expect(await main(["repro", "--methods", "grpo,ppo", "--out", out], b.io)).toBe(1);
    expect(b.err()).toMatch(/^hdpo-train: unknown method "ppo": use some of grpo, /);
    await expect(access(out)).rejects.toThrow();
  });

  it("runs a one-seed study of a tiny config, prints the table and the verdicts, and writes the page", async () => {
    const file = join(dir, "tiny.json");
    await writeFile(file, JSON.stringify(TINY_CONFIG));
    const out = join(dir, "study");
    const doc = join(dir, "docs", "repro.md");
    const args = [
      "repro",
      ...["--config", file, "--seeds", "5", "--methods", "hdpo-w0.15,per-call-a0.3"],
      ...["--rl-steps", "1", "--set", "sft.steps=2", "--out", out, "--doc", doc],
    ];
    const b = capturedIo();
    expect(await main(args, b.io)).toBe(0);
    expect(b.err()).toContain("repro run 1/2: seed 5, hdpo-w0.15: training (SFT + RL)");
    expect(b.err()).toContain(
      "repro run 2/2: seed 5, per-call-a0.3: training (RL from the seed's SFT policy)",
    );
    expect(b.out()).toMatch(/^SFT start\s/m);
    expect(b.out()).toMatch(/^per-call-a0\.3\s/m);
    expect(b.out()).toMatch(/^claim 4: (holds|fails|inconclusive)$/m);
    const summary = JSON.parse(await readFile(join(out, "seed-5", "per-call-a0.3", "summary.json"), "utf8"));
    expect(summary.steps).toEqual({ sft: 2, copyWarmup: 2, rl: 1 });
    expect(await readFile(doc, "utf8")).toContain("## Claims");
    await access(join(dir, "docs", "repro", "figure1-unnecessary.png"));

    // The same command again trains nothing.
    const again = capturedIo();
    expect(await main([...args, "--quiet"], again.io)).toBe(0);
    expect(again.err()).toBe("");
    const quietAgain = capturedIo();
    expect(await main(args, quietAgain.io)).toBe(0);
    expect(quietAgain.err()).toContain("seed 5, hdpo-w0.15: done already");
    expect(quietAgain.err()).toContain("seed 5, per-call-a0.3: done already");
  }, 120_000);
});
