import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TrainerAppError } from "../trainer-app-error";
import { PRESETS } from "./presets";
import { resolveRunConfig } from "./resolve-run-config";
import { parseRunConfig } from "./run-config";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "hdpo-train-config-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("run config", () => {
  it("every preset is a valid config", () => {
    for (const [name, preset] of Object.entries(PRESETS)) {
      const config = parseRunConfig(preset, name);
      expect(config.backend).toBe("wasm");
      expect(config.suite.families).toEqual(["direct", "python", "search"]);
    }
  });

  it("layers preset < file < HDPO_BACKEND < flags", async () => {
    const file = join(dir, "layers.json");
    await writeFile(
      file,
      JSON.stringify({ rl: { steps: 7, groupSize: 3 }, sft: { steps: 11 }, backend: "cpu" }),
    );
    const config = await resolveRunConfig({
      preset: "quick",
      file,
      env: { HDPO_BACKEND: "tensorflow" },
      overrides: { rl: { steps: 2 }, seed: 9 },
    });
    expect(config.rl.steps).toBe(2); // flag over file
    expect(config.rl.groupSize).toBe(3); // file over preset
    expect(config.sft.steps).toBe(11);
    expect(config.rl.batchPrompts).toBe((PRESETS.quick.rl as { batchPrompts: number }).batchPrompts); // preset kept
    expect(config.backend).toBe("tensorflow"); // env over file
    expect(config.seed).toBe(9);
  });

  it("names the bad field, with the nested path", async () => {
    await expect(resolveRunConfig({ preset: "quick", overrides: { rl: { groupSize: 1 } } })).rejects.toThrow(
      /rl\.groupSize: Too small/,
    );
    expect(() => parseRunConfig({ model: { hiddenSize: 30, attentionHeads: 4 } })).toThrow(
      /model\.hiddenSize: hiddenSize must be a multiple of attentionHeads/,
    );
    expect(() => parseRunConfig({ backend: "webgl" })).toThrow(/backend: /);
    expect(() => parseRunConfig({ suite: { families: ["poetry"] } })).toThrow(/suite\.families\.0/);
    expect(() => parseRunConfig({ suite: { templates: { python: ["product", "calculus"] } } })).toThrow(
      /suite\.templates\.python: unknown template calculus; the python templates are product, big-sum/,
    );
    expect(() => parseRunConfig({ sft: { schedule: "linear" } })).toThrow(/sft\.schedule/);
  });

  it("rejects misspelt keys instead of ignoring them", () => {
    expect(() => parseRunConfig({ rl: { groupsize: 4 } })).toThrow(/rl: Unrecognized key: "groupsize"/);
    expect(() => parseRunConfig({ steps: 4 })).toThrow(/\(top level\): Unrecognized key: "steps"/);
  });

  it("fails fast on an unknown preset, a missing file, bad JSON and YAML", async () => {
    await expect(resolveRunConfig({ preset: "huge" })).rejects.toThrow(
      /unknown preset "huge": use one of quick, default/,
    );
    await expect(resolveRunConfig({ file: join(dir, "missing.json") })).rejects.toThrow(
      /cannot read the config file/,
    );
    const bad = join(dir, "bad.json");
    await writeFile(bad, "{ rl: ");
    await expect(resolveRunConfig({ file: bad })).rejects.toThrow(/bad\.json is not valid JSON/);
    await expect(resolveRunConfig({ file: join(dir, "run.yaml") })).rejects.toThrow(TrainerAppError);
    const list = join(dir, "list.json");
    await writeFile(list, "[1, 2]");
    await expect(resolveRunConfig({ file: list })).rejects.toThrow(/must hold a JSON object/);
  });
});
