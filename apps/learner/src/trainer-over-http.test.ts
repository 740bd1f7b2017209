import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TinkerLearner } from "@hdpo/learner";
import { decodeSafetensors } from "@hdpo/policy";
import { parseRunConfig, type RunSummary, type TrainResult, train } from "@hdpo/trainer";
import { TINY_CONFIG } from "@hdpo/trainer/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLearnerHttpServer, type LearnerHttpServer } from "./http/learner-http-server";
import { loadBaseModel } from "./service/base-model";
import { LearnerService } from "./service/learner-service";

// The check of the seam end to end: the whole main job (cold start, SFT, evaluation, HDPO, evaluation) once
// through the in-process tfjs learner and once through hdpo-learner over HTTP with the Tinker client, same seeds.
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
    const remote = finished(
      await train({
        config,
        out: join(root, "http"),
        learner: async ({ baseDirectory }) => {
          const url = await startServer(baseDirectory, join(root, "server-state"));
          return TinkerLearner.connect({
            baseUrl: url,
            baseModel: "tiny-base",
            loraRank: 0,
            heartbeat: false,
          });
        },
      }),
    );
    expect(remote.learner.kind).toBe("tinker");
    expect(local.learner.kind).toBe("tfjs");
    const a = await finalWeights(join(root, "local"));
    const b = await finalWeights(join(root, "http"));
    expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
    let diff = 0;
    let moved = 0;
    const base = decodeSafetensors(
      new Uint8Array(await readFile(join(root, "local", "sft", "model.safetensors"))),
    );
    for (const [name, values] of Object.entries(a)) {
      const other = b[name]!;
      const sft = base.tensors[name]!.data as Float32Array;
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
});
