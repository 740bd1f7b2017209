import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TINKER_PROTOCOL_VERSION } from "@hdpo/learner";
import { decodeSafetensors } from "@hdpo/policy";
import {
  parseRunConfig,
  type RunConfig,
  type RunSummary,
  type TrainResult,
  train,
  writeStartingPolicy,
} from "@hdpo/trainer";
import { TINY_CONFIG } from "@hdpo/trainer/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLearnerHttpServer, type LearnerHttpServer } from "./http/learner-http-server";
import { loadBaseModel } from "./service/base-model";
import { LearnerService } from "./service/learner-service";

// The issue's check of the seam end to end: the whole main job (cold start, SFT, evaluation, HDPO, evaluation) once
// through the in-process tfjs learner and once through hdpo-learner over HTTP with the Tinker client, same seeds,
// the second chosen by the config alone (`learner.url`, as `hdpo-train run --learner URL --base-model ID` sets it).
const config = parseRunConfig({
  ...TINY_CONFIG,
  // SFT long enough that some rollouts get the format: with four rollouts per prompt their rewards then differ, so
  // the advantages are not all 0 and HDPO updates (checked below).
  sft: { ...TINY_CONFIG.sft, steps: 40, learningRate: 0.03 },
  rl: { ...TINY_CONFIG.rl, steps: 3, batchPrompts: 4, groupSize: 4, entropyCoef: 0, klCoef: 0 },
});

let root: string;
const servers: LearnerHttpServer[] = [];

/** hdpo-learner in this process over `checkpoint`, on the backend the run chose (train() picks it before). */
async function startServer(checkpoint: string, stateDir: string): Promise<string> {
  const base = await loadBaseModel(checkpoint, "tiny-base");
  const service = await LearnerService.open({ base, stateDir, log: () => undefined });
  const server = createLearnerHttpServer({ service });
  servers.push(server);
  return (await server.listen(0, "127.0.0.1")).url;
}

function remoteConfig(url: string, learner: Partial<RunConfig["learner"]> = {}): RunConfig {
  return { ...config, learner: { ...config.learner, url, baseModel: "tiny-base", ...learner } };
}

/** The files under `directory` whose bytes contain `text`. */
async function filesHolding(directory: string, text: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(directory, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    if ((await readFile(path)).includes(text)) found.push(path);
  }
  return found;
}

function finished(result: TrainResult): RunSummary {
  if (result.status !== "finished") throw new Error(`the run ended ${result.status}`);
  return result.summary;
}

async function finalWeights(out: string): Promise<Record<string, Float32Array>> {
  const { tensors } = decodeSafetensors(
    new Uint8Array(await readFile(join(out, "final", "model.safetensors"))),
  );
  return Object.fromEntries(Object.entries(tensors).map(([name, t]) => [name, t.data as Float32Array]));
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "trainer-over-http-"));
});
afterAll(async () => {
  for (const server of servers) await server.close(1_000);
  await rm(root, { recursive: true, force: true });
});

describe("train() through hdpo-learner over HTTP", () => {
  it("ends with the in-process run's weights (1e-6) and numbers after a tiny SFT and 3 HDPO steps", async () => {
    const local = finished(await train({ config, out: join(root, "local") }));
    // The server serves the run's own starting policy, as `hdpo-learner --preset NAME` does for a preset run.
    const base = join(root, "server-base");
    await writeStartingPolicy(config, base);
    const url = await startServer(base, join(root, "server-state"));
    const secret = `tml-secret-${process.pid}`;
    process.env.TINKER_API_KEY = secret;
    let remote: RunSummary;
    try {
      remote = finished(await train({ config: remoteConfig(url), out: join(root, "http") }));
    } finally {
      delete process.env.TINKER_API_KEY;
    }
    expect(remote.learner).toEqual({
      kind: "tinker",
      baseModel: "tiny-base",
      protocol: TINKER_PROTOCOL_VERSION,
      url,
    });
    // The SFT weights stayed on the server: sft/ names the state that holds them.
    const sftState = JSON.parse(await readFile(join(root, "http", "sft", "learner-state.json"), "utf8"));
    expect(sftState.learnerState).toMatch(/^tinker:\/\/model_[0-9a-f]+\/weights\/sft-done-/);
    // The key reached the server (it is not checked there) but no file of the run holds it.
    expect(await filesHolding(join(root, "http"), secret)).toEqual([]);
    expect(local.learner.kind).toBe("tfjs");
    const a = await finalWeights(join(root, "local"));
    const b = await finalWeights(join(root, "http"));
    expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
    let diff = 0;
    let moved = 0;
    const sftWeights = decodeSafetensors(
      new Uint8Array(await readFile(join(root, "local", "sft", "model.safetensors"))),
    );
    for (const [name, values] of Object.entries(a)) {
      const other = b[name]!;
      const sft = sftWeights.tensors[name]!.data as Float32Array;
      for (let i = 0; i < values.length; i++) {
        diff = Math.max(diff, Math.abs(values[i]! - other[i]!));
        moved = Math.max(moved, Math.abs(values[i]! - sft[i]!));
      }
    }
    // HDPO moved the weights (so agreement is not trivial), and both routes moved them the same way.
    expect(moved, "HDPO changed the SFT weights").toBeGreaterThan(1e-5);
    expect(diff).toBeLessThan(1e-6);
    const strip = ({ wallMs: _w, ...rest }: RunSummary["sft"]) => rest;
    expect(strip(remote.sft)).toEqual(strip(local.sft));
    expect(strip(remote.hdpo)).toEqual(strip(local.hdpo));
  }, 300_000);

  it("stops at once when the learner dies mid-HDPO, and resumes on a restarted server to the uninterrupted weights", async () => {
    const base = join(root, "server-base"); // written by the first test: the run's starting policy
    const stateDir = join(root, "dying-state");
    const url = await startServer(base, stateDir);
    const dying = servers.at(-1)!;
    const out = join(root, "dying");
    const run = { ...remoteConfig(url, { retries: 1 }), run: { ...config.run, checkpointEvery: 1 } };
    await expect(
      train({
        config: run,
        out,
        onStep: (phase, completed) => {
          if (phase === "rl" && completed === 1) void dying.close(0);
        },
      }),
    ).rejects.toThrow(
      /^HDPO step 2 of 3 stopped: the learner failed: .*continue with: hdpo-train run --resume/,
    );
    // The same state directory: the server knows the run's saved states again; the address is new.
    const again = await startServer(base, stateDir);
    const resumed = finished(
      await train({ config: { ...run, learner: { ...run.learner, url: again } }, out, resume: true }),
    );
    expect(resumed.resumed).toBe(true);
    const a = await finalWeights(join(root, "local"));
    const b = await finalWeights(out);
    let diff = 0;
    for (const [name, values] of Object.entries(a)) {
      for (let i = 0; i < values.length; i++) diff = Math.max(diff, Math.abs(values[i]! - b[name]![i]!));
    }
    expect(diff).toBeLessThan(1e-6);
  }, 300_000);

  it("refuses, before any training, a server that serves another model than the run's starting policy", async () => {
    const other = join(root, "other-base");
    // Same tokenizer, other weights: only the model's initialisation seed differs.
    await writeStartingPolicy({ ...config, model: { ...config.model, seed: config.model.seed + 1 } }, other);
    const url = await startServer(other, join(root, "other-state"));
    const out = join(root, "wrong-model");
    await expect(train({ config: remoteConfig(url), out })).rejects.toThrow(
      /^learner: the server at .* serves another model than this run's starting policy \(log-probs of a probe differ by .*\); start hdpo-learner with --checkpoint .*base/,
    );
    expect(await readdir(out)).not.toContain("sft");
  }, 120_000);

  it("trains a pretrained base it only has the tokenizer of (learner.tokenizer)", async () => {
    // Any checkpoint stands in for a pretrained model here: the run must not build a model or a tokenizer of its own.
    const pretrained = join(root, "pretrained");
    await writeStartingPolicy(
      { ...config, model: { ...config.model, seed: config.model.seed + 2 } },
      pretrained,
    );
    const url = await startServer(pretrained, join(root, "pretrained-state"));
    const out = join(root, "pretrained-run");
    const short = {
      ...remoteConfig(url, { tokenizer: pretrained }),
      sft: { ...config.sft, steps: 2 },
      rl: { ...config.rl, steps: 1 },
    };
    const summary = finished(await train({ config: short, out }));
    expect(summary.learner.kind).toBe("tinker");
    expect(await readdir(join(out, "base"))).toEqual(["tokenizer.json"]);
    expect(await readFile(join(out, "base", "tokenizer.json"), "utf8")).toBe(
      await readFile(join(pretrained, "tokenizer.json"), "utf8"),
    );
  }, 300_000);
});
