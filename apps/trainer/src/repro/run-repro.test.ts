import { access, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { MetricsLog, parseRunConfig } from "@hdpo/trainer";
import { TINY_CONFIG } from "@hdpo/trainer/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mergeConfig } from "../config/merge-config";
import { aggregateRepro } from "./aggregate-repro";
import { evaluateClaims } from "./repro-claims";
import { selectReproMethods } from "./repro-methods";
import { writeReproductionReport } from "./reproduction-report";
import { type ReproResult, type ReproRunEvent, reproRunDir, runRepro } from "./run-repro";

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const baseConfig = parseRunConfig(mergeConfig(TINY_CONFIG, { rl: { steps: 2 } }));
const methods = selectReproMethods(["grpo", "additive-a1", "hdpo-w0.15"]);
const seeds = [0, 1];

let root: string;
const out = () => join(root, "study");

/** One call of the study, recording the events; `stopAt` aborts when that run (1-based) starts. */
async function study(stopAt?: number): Promise<{ result: ReproResult; events: ReproRunEvent[] }> {
  const events: ReproRunEvent[] = [];
  const controller = new AbortController();
  const result = await runRepro({
    baseConfig,
    seeds,
    methods,
    out: out(),
    preset: "tiny",
    signal: controller.signal,
    onRun: (event) => {
      events.push(event);
      if (event.index === stopAt) controller.abort();
    },
  });
  return { result, events };
}

function finishedRuns(result: ReproResult) {
  if (result.status !== "finished") throw new Error(`the study ended ${result.status}`);
  return result.runs;
}

let first: { result: ReproResult; events: ReproRunEvent[] };
let second: { result: ReproResult; events: ReproRunEvent[] };
let third: { result: ReproResult; events: ReproRunEvent[] };

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "hdpo-repro-test-"));
  // Stopped as the second run (seed 0, additive-a1) starts: it checkpoints after its first RL step.
  first = await study(2);
  second = await study();
  third = await study();
}, 240_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("runRepro", () => {
  it("stops when told, then resumes the stopped run and trains the rest", () => {
    expect(first.result).toMatchObject({ status: "interrupted", seed: 0, method: "additive-a1" });
    expect(first.events.map((e) => e.action)).toEqual(["train", "train"]);
    expect(second.events.map((e) => [e.seed, e.method, e.action])).toEqual([
      [0, "grpo", "skip"],
      [0, "additive-a1", "resume"],
      [0, "hdpo-w0.15", "train"],
      [1, "grpo", "train"],
      [1, "additive-a1", "train"],
      [1, "hdpo-w0.15", "train"],
    ]);
  });

  it("trains nothing when called again after the study finished, and returns the same runs", () => {
    expect(third.events.filter((e) => e.action !== "skip")).toEqual([]);
    const again = finishedRuns(third.result);
    const before = finishedRuns(second.result);
    expect(again.map((r) => r.summary)).toEqual(before.map((r) => r.summary));
    expect(again.map((r) => r.rlLines.length)).toEqual([2, 2, 2, 2, 2, 2]);
  });

  it("trains one SFT per seed, in its first method's run, and starts the others from it", async () => {
    const runs = finishedRuns(third.result);
    for (const seed of seeds) {
      const own = runs.filter((r) => r.seed === seed);
      expect(own.map((r) => r.method)).toEqual(["grpo", "additive-a1", "hdpo-w0.15"]);
      const sftRun = own[0]!;
      expect(sftRun.summary.fromSft).toBeNull();
      expect(sftRun.summary.seed).toBe(seed);
      const sftLines = async (dir: string) =>
        (await new MetricsLog(join(dir, "metrics.jsonl")).read()).filter((l) => l.phase === "sft");
      const reference = await sftLines(sftRun.dir);
      expect(reference).toHaveLength(baseConfig.sft.copyWarmupSteps + baseConfig.sft.steps);
      for (const run of own.slice(1)) {
        expect(run.summary.fromSft).toBe(resolve(reproRunDir(out(), seed, "grpo")));
        expect(run.summary.sft).toEqual(sftRun.summary.sft);
        expect(await sftLines(run.dir)).toEqual(reference);
      }
      const configs = await Promise.all(
        own.map(async (r) => JSON.parse(await readFile(join(r.dir, "config.json"), "utf8"))),
      );
      expect(configs.map((c) => c.rl.advantage)).toEqual([
        "grpo",
        { coupled: "additive-gated", alpha: 1 },
        "hdpo",
      ]);
      expect(configs.map((c) => c.rl.wTool)).toEqual([0, 0, 0.15]);
    }
    // The two seeds trained on their own suites and SFT policies.
    expect(runs[0]!.summary.sft).not.toEqual(runs[3]!.summary.sft);
  });

  it("starts no run once stopped", async () => {
    const controller = new AbortController();
    controller.abort();
    const fresh = join(root, "stopped");
    const result = await runRepro({ baseConfig, seeds, methods, out: fresh, signal: controller.signal });
    expect(result).toEqual({
      status: "interrupted",
      seed: 0,
      method: "grpo",
      dir: reproRunDir(fresh, 0, "grpo"),
      runs: [],
    });
    await expect(access(fresh)).rejects.toThrow();
  });

  it("refuses a finished run trained with other settings", async () => {
    const other = parseRunConfig(mergeConfig(baseConfig, { rl: { groupSize: 3 } }));
    await expect(runRepro({ baseConfig: other, seeds: [0], methods, out: out() })).rejects.toThrow(
      /holds a finished run trained with other settings/,
    );
  });
});

describe("the reproduction report", () => {
  let files: Awaited<ReturnType<typeof writeReproductionReport>>;
  let markdown: string;

  beforeAll(async () => {
    const aggregates = aggregateRepro(finishedRuns(third.result), methods);
    files = await writeReproductionReport({
      aggregates,
      claims: evaluateClaims(aggregates),
      methods,
      config: baseConfig,
      preset: "tiny",
      out: out(),
      doc: join(root, "docs", "reproduction.md"),
      generatedAt: "2026-01-01T00:00:00.000Z",
    });
    markdown = await readFile(files.doc, "utf8");
  });

  it("has a results row per method and the SFT start, and a verdict per claim", () => {
    const results = markdown.slice(markdown.indexOf("## Results"), markdown.indexOf("## Claims"));
    for (const name of ["SFT start", ...methods.map((m) => m.name)]) {
      expect(results).toMatch(new RegExp(`^\\| ${name} \\| `, "m"));
    }
    for (const id of [1, 2, 3, 4]) {
      expect(markdown).toMatch(new RegExp(`^### Claim ${id}: (holds|fails|inconclusive)$`, "m"));
    }
    expect(markdown).toContain("## Compute");
    expect(markdown).toMatch(/Runs: 6 \(2 trained an SFT policy: 12 SFT steps in all\); RL steps: 12/);
    // The setup states whether groups were skipped, which the claims' explanations depend on.
    expect(markdown).toContain(`dynamic sampling ${baseConfig.rl.dynamicSampling ? "on" : "off"}`);
  });

  it("writes the figures as PNGs beside the page and links them", async () => {
    expect(files.pngs.map((p) => p.slice(join(root, "docs", "reproduction").length + 1)).sort()).toEqual([
      "curve-accuracy.png",
      "curve-rho.png",
      "curve-tool-necessary.png",
      "curve-tool-unnecessary.png",
      "figure1-overall.png",
      "figure1-unnecessary.png",
    ]);
    for (const png of files.pngs) {
      const bytes = await readFile(png);
      expect([...bytes.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
      expect(markdown).toContain(`](reproduction/${png.split("/").pop()})`);
    }
  });

  it("writes reproduction.json with the aggregates and the claims", async () => {
    const data = JSON.parse(await readFile(files.json, "utf8"));
    expect(files.json).toBe(join(out(), "reproduction.json"));
    expect(data.claims.map((c: { id: number }) => c.id)).toEqual([1, 2, 3, 4]);
    expect(data.aggregates.methods.map((m: { name: string }) => m.name)).toEqual(methods.map((m) => m.name));
    expect(data.aggregates.seeds).toEqual(seeds);
    expect(data.machine.cpuCount).toBeGreaterThan(0);
  });
});
