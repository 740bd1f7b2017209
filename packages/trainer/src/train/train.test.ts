import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeSafetensors, loadPolicy } from "@hdpo/policy";
import { openDataset, readAllTasks } from "@hdpo/tasks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EvalRollout } from "./eval-rollouts";
import { isRlStepLine, type MetricsLine } from "./metrics-log";
import { parseRunConfig } from "./run-config";
import type { RunSummary } from "./run-summary";
import { TINY_CONFIG } from "./tiny-config";
import { type TrainResult, train } from "./train";
import type { TrainEvent } from "./train-events";

const config = parseRunConfig(TINY_CONFIG);
let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "hdpo-train-test-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function readLines(path: string): Promise<MetricsLine[]> {
  const text = await readFile(path, "utf8");
  return text
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as MetricsLine);
}

/** A metrics line without its wall-clock timings (they differ between any two runs). */
function withoutTimings(line: MetricsLine): unknown {
  const { timings: _timings, ...rest } = line as MetricsLine & { timings?: unknown };
  return rest;
}

function finished(result: TrainResult): RunSummary {
  if (result.status !== "finished") throw new Error(`the run ended ${result.status}`);
  return result.summary;
}

describe("train", () => {
  let straight: RunSummary;
  const straightOut = () => join(root, "straight");

  beforeAll(async () => {
    const events: TrainEvent[] = [];
    straight = finished(
      await train({ config, out: straightOut(), preset: "tiny", onEvent: (e) => void events.push(e) }),
    );
    // The events tell the run as it went: phases, every step, both evaluations, the checkpoints, the end.
    const types = events.map((e) => e.type);
    expect(types.filter((t) => t === "sft-step")).toHaveLength(6);
    expect(types.filter((t) => t === "rl-step")).toHaveLength(4);
    expect(
      events.filter((e) => e.type === "evaluation").map((e) => e.type === "evaluation" && e.policy),
    ).toEqual(["sft", "hdpo"]);
    expect(types.filter((t) => t === "checkpoint").length).toBeGreaterThanOrEqual(3);
    expect(events.at(-1)).toEqual({ type: "finished", summary: straight });
  }, 180_000);

  it("writes summary.json with sft and hdpo blocks, every rate in [0, 1]", async () => {
    const summary = JSON.parse(await readFile(join(straightOut(), "summary.json"), "utf8")) as RunSummary;
    expect(summary).toEqual(straight);
    for (const block of [summary.sft, summary.hdpo]) {
      for (const key of ["accuracy", "toolRateUnnecessary", "toolRateNecessary"] as const) {
        const value = block[key];
        expect(value, key).not.toBeNull();
        expect(value!).toBeGreaterThanOrEqual(0);
        expect(value!).toBeLessThanOrEqual(1);
      }
      expect(block.meanToolCalls).toBeGreaterThanOrEqual(0);
      // 2 test tasks per family, 3 text families; tool-necessity labels split them 2 / 4.
      expect(block.n + block.errors).toBe(6);
      expect(block.nUnnecessary + block.nNecessary).toBe(block.n);
    }
    expect(summary).toMatchObject({
      backend: "wasm",
      seed: 3,
      preset: "tiny",
      steps: { sft: 4, copyWarmup: 2, rl: 4 },
    });
    expect(summary.wallTimeS).toBeGreaterThan(0);
  });

  it("writes every evaluation rollout with its verdict to eval/sft.jsonl and eval/hdpo.jsonl", async () => {
    const tasks = await readAllTasks(await openDataset(join(straightOut(), "data", "test.jsonl")));
    const byId = new Map(tasks.map((task) => [task.id, task]));
    for (const [policy, block] of [
      ["sft", straight.sft],
      ["hdpo", straight.hdpo],
    ] as const) {
      const text = await readFile(join(straightOut(), "eval", `${policy}.jsonl`), "utf8");
      const rollouts = text
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line) as EvalRollout);
      expect(rollouts.map((r) => r.taskId).sort()).toEqual(tasks.map((t) => t.id).sort());
      for (const rollout of rollouts) {
        const task = byId.get(rollout.taskId)!;
        expect(rollout.goldAnswer).toEqual(task.answer);
        expect(rollout.toolNecessity).toBe(task.toolNecessity);
        expect(rollout.turns.filter((t) => t.role === "observation").length).toBeLessThanOrEqual(
          rollout.toolCalls,
        );
        expect(rollout.turns[0]?.role).toBe("assistant");
      }
      // The rates in summary.json are the records' rates.
      const scored = rollouts.filter((r) => r.finishReason !== "error");
      expect(scored.filter((r) => r.correct).length / scored.length).toBeCloseTo(block.accuracy!, 12);
      expect(scored.filter((r) => r.toolCalls > 0).length / scored.length).toBeCloseTo(block.toolRate!, 12);
    }
  });

  it("leaves a final policy that loadPolicy reads, and the suite as Parquet and JSONL", async () => {
    const { model, tokenizer } = await loadPolicy(join(straightOut(), "final"));
    expect(model.config.hidden_size).toBe(16);
    expect(tokenizer.vocabSize).toBeLessThanOrEqual(600);
    model.dispose();
    const parquet = await readAllTasks(await openDataset(join(straightOut(), "data", "test.parquet")));
    const jsonl = await readAllTasks(await openDataset(join(straightOut(), "data", "test.jsonl")));
    expect(parquet.map((t) => t.id)).toEqual(jsonl.map((t) => t.id));
    expect(new Set(jsonl.map((t) => t.toolNecessity))).toEqual(new Set(["unnecessary", "required"]));
  });

  it("logs one plain JSON line per SFT and HDPO step", async () => {
    const lines = await readLines(join(straightOut(), "metrics.jsonl"));
    expect(lines.filter((l) => l.phase === "sft").map((l) => l.step)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(lines.filter((l) => l.phase === "rl").map((l) => l.step)).toEqual([0, 1, 2, 3]);
    for (const line of lines) {
      if (line.phase === "sft") {
        expect(Number.isFinite(line.loss)).toBe(true);
        expect(line.tokens).toBeGreaterThan(0);
        // Steps 0-1 are the copy warm-up; the demonstration steps after them also train on copy exercises.
        expect(line.copyWarmup === true).toBe(line.step < 2);
        expect(line.copyLoss === undefined).toBe(line.step < 2);
        if (line.step >= 2) expect(Number.isFinite(line.copyLoss)).toBe(true);
      } else {
        expect("loss" in line).toBe(true);
        if (!("loss" in line)) continue;
        expect(line).toMatchObject({ prompts: 2, rollouts: 4 });
        expect(line.rho).toBeGreaterThanOrEqual(0);
        expect(line.byNecessity.unnecessary).toBeDefined();
        expect(line.timings.rolloutMs).toBeGreaterThan(0);
        expect(line.errors).toBeLessThanOrEqual(line.rollouts);
      }
    }
  });

  it("keeps training when rollouts crash, and the updates move the weights", async () => {
    const rl = (await readLines(join(straightOut(), "metrics.jsonl"))).filter(isRlStepLine);
    // Prompts with the 40-row table do not fit the tiny model's 512 positions: those rollouts error, are counted
    // and left out, and the run goes on.
    expect(rl.reduce((n, l) => n + l.errors, 0)).toBeGreaterThan(0);
    // The entropy and KL terms give a gradient even where every advantage is 0.
    expect(rl.filter((l) => l.gradNorm > 0).length).toBeGreaterThanOrEqual(2);
  });

  it("refuses to start over a finished run without --resume", async () => {
    await expect(train({ config, out: straightOut() })).rejects.toThrow(/already holds a run.*--resume/);
  });

  it("a run killed in SFT and again in HDPO, resumed each time, ends exactly where the straight run ends", async () => {
    const out = join(root, "resumed");
    const crash = (phase: "sft" | "rl", at: number) => (current: "sft" | "rl", steps: number) => {
      if (current === phase && steps === at) throw new Error(`simulated kill after ${phase} step ${at}`);
    };
    // Checkpoints every 2 steps: a kill after step 3 loses step 3, which the resumed run redoes.
    await expect(train({ config, out, onStep: crash("sft", 3) })).rejects.toThrow(/simulated kill/);
    await expect(train({ config, out, resume: true, onStep: crash("rl", 3) })).rejects.toThrow(
      /simulated kill/,
    );
    const resumed = finished(await train({ config, out, resume: true }));

    const weights = async (dir: string) =>
      decodeSafetensors(new Uint8Array(await readFile(join(dir, "final", "model.safetensors")))).tensors;
    const final = await weights(out);
    expect(final).toEqual(await weights(straightOut()));
    const sft = decodeSafetensors(
      new Uint8Array(await readFile(join(out, "sft", "model.safetensors"))),
    ).tensors;
    expect(final).not.toEqual(sft);
    const strip = ({ wallMs: _w, ...rest }: RunSummary["sft"]) => rest;
    expect(strip(resumed.sft)).toEqual(strip(straight.sft));
    expect(strip(resumed.hdpo)).toEqual(strip(straight.hdpo));
    expect(resumed.resumed).toBe(true);
    const lines = (await readLines(join(out, "metrics.jsonl"))).map(withoutTimings);
    expect(lines).toEqual((await readLines(join(straightOut(), "metrics.jsonl"))).map(withoutTimings));
  }, 240_000);

  it("starts HDPO from another run's SFT policy: same SFT weights, evaluation and SFT lines, its own HDPO", async () => {
    const out = join(root, "from-sft");
    const other = parseRunConfig({ ...TINY_CONFIG, rl: { ...TINY_CONFIG.rl, wTool: 0.3, steps: 2 } });
    const notes: string[] = [];
    const forked = finished(
      await train({
        config: other,
        out,
        fromSft: straightOut(),
        onEvent: (e) => {
          if (e.type === "note") notes.push(e.message);
        },
      }),
    );
    expect(notes.join("\n")).not.toContain("cold start:");
    expect(notes.join("\n")).toContain("SFT policy from");
    expect(forked.fromSft).toBe(straightOut());
    expect(forked.sft).toEqual(straight.sft);
    const weights = async (dir: string, policy: string) =>
      decodeSafetensors(new Uint8Array(await readFile(join(dir, policy, "model.safetensors")))).tensors;
    expect(await weights(out, "sft")).toEqual(await weights(straightOut(), "sft"));
    expect(await weights(out, "final")).not.toEqual(await weights(out, "sft"));
    const lines = await readLines(join(out, "metrics.jsonl"));
    const straightLines = await readLines(join(straightOut(), "metrics.jsonl"));
    expect(lines.filter((l) => l.phase === "sft")).toEqual(straightLines.filter((l) => l.phase === "sft"));
    expect(lines.filter((l) => l.phase === "rl").map((l) => l.step)).toEqual([0, 1]);
  }, 120_000);

  it("refuses to start from an SFT trained with other settings, naming them", async () => {
    const other = parseRunConfig({ ...TINY_CONFIG, model: { ...TINY_CONFIG.model, hiddenSize: 32 } });
    await expect(
      train({ config: other, out: join(root, "from-sft-bad"), fromSft: straightOut() }),
    ).rejects.toThrow(/different settings \(model\)/);
    await expect(
      train({ config, out: join(root, "from-sft-none"), fromSft: join(root, "nowhere") }),
    ).rejects.toThrow(/no config.json there/);
  });
});
