import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PRESETS, parseRunConfig } from "@hdpo/trainer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveRunConfig } from "./resolve-run-config";

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
      // `default` leaves out the search tasks its model cannot learn (presets.ts).
      expect(config.suite.families).toEqual(
        name === "default" ? ["direct", "python"] : ["direct", "python", "search"],
      );
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

  it("reads a YAML file as it reads the same settings in JSON", async () => {
    const yamlFile = join(dir, "run.yaml");
    await writeFile(
      yamlFile,
      [
        "# HDPO with a stronger tool channel",
        "seed: 4",
        "rl:",
        "  steps: 12",
        "  wTool: 0.25",
        "suite:",
        "  families: [direct, python]",
        "  templates:",
        "    direct:",
        "      - parity-yes-no",
        "",
      ].join("\n"),
    );
    const jsonFile = join(dir, "run.json");
    await writeFile(
      jsonFile,
      JSON.stringify({
        seed: 4,
        rl: { steps: 12, wTool: 0.25 },
        suite: { families: ["direct", "python"], templates: { direct: ["parity-yes-no"] } },
      }),
    );
    const fromYaml = await resolveRunConfig({ preset: "quick", file: yamlFile });
    expect(fromYaml).toEqual(await resolveRunConfig({ preset: "quick", file: jsonFile }));
    expect(fromYaml.rl.wTool).toBe(0.25);
    expect(fromYaml.suite.templates?.direct).toEqual(["parity-yes-no"]);
    const badField = join(dir, "bad-field.yaml");
    await writeFile(badField, "rl:\n  groupSize: one\n");
    await expect(resolveRunConfig({ file: badField })).rejects.toThrow(
      /invalid config \(.*bad-field\.yaml\): rl\.groupSize: /,
    );
  });

  it("reads any field from HDPO_TRAIN_* variables and the endpoints from the reference's names", async () => {
    const config = await resolveRunConfig({
      preset: "quick",
      env: {
        HDPO_TRAIN_SEED: "5",
        HDPO_TRAIN_RL__W_TOOL: "0.3",
        HDPO_TRAIN_SFT__LEARNING_RATE: "1e-3",
        HDPO_TRAIN_SUITE__FAMILIES: '["direct","python"]',
        HDPO_TRAIN_RL__DYNAMIC_SAMPLING: "false",
        HDPO_TRAIN_RL__STEPS: "", // empty: unset
        REMOTE_TOOL_SERVER_URL: "http://127.0.0.1:30569",
        JUDGE_BASE_URL: "http://127.0.0.1:8000/v1",
        HDPO_SEARCH_CORPUS: "/somewhere/corpus.jsonl", // the tool server's, not the trainer's
        PATH: "/usr/bin",
      },
      overrides: { rl: { wTool: 0.1 } },
    });
    expect(config.seed).toBe(5);
    expect(config.rl.wTool).toBe(0.1); // flags over the environment
    expect(config.sft.learningRate).toBe(1e-3);
    expect(config.suite.families).toEqual(["direct", "python"]);
    expect(config.rl.dynamicSampling).toBe(false);
    expect(config.rl.steps).toBe((PRESETS.quick.rl as { steps: number }).steps);
    expect(config.tools.server).toBe("http://127.0.0.1:30569");
    expect(config.judge.baseUrl).toBe("http://127.0.0.1:8000/v1");
    await expect(resolveRunConfig({ env: { HDPO_TRAIN_RL__GROUP_SIZ: "4" } })).rejects.toThrow(
      /invalid config \(HDPO_TRAIN_RL__GROUP_SIZ\): rl: Unrecognized key: "groupSiz"/,
    );
    await expect(resolveRunConfig({ env: { HDPO_TRAIN_rl__steps: "4" } })).rejects.toThrow(
      /HDPO_TRAIN_rl__steps: after HDPO_TRAIN_, name a field path in upper snake case/,
    );
    await expect(resolveRunConfig({ env: { JUDGE_BASE_URL: "localhost:8000" } })).rejects.toThrow(
      /invalid config \(JUDGE_BASE_URL\): judge\.baseUrl: must be an http:\/\/ or https:\/\/ URL/,
    );
  });

  it("reads a remote learner from HDPO_TRAIN_LEARNER__*, and tool-server replicas comma-separated", async () => {
    const config = await resolveRunConfig({
      env: {
        HDPO_TRAIN_LEARNER__URL: "http://10.0.0.1:8000",
        HDPO_TRAIN_LEARNER__BASE_MODEL: "Qwen/Qwen3-8B",
        REMOTE_TOOL_SERVER_URL: "http://10.0.0.4:30569, http://10.0.0.5:30569",
        TINKER_API_KEY: "tml-secret", // the client's, never part of the config
      },
    });
    expect(config.learner).toMatchObject({ url: "http://10.0.0.1:8000", baseModel: "Qwen/Qwen3-8B" });
    expect(config.tools.server).toEqual(["http://10.0.0.4:30569", "http://10.0.0.5:30569"]);
    expect(JSON.stringify(config)).not.toContain("tml-secret");
    await expect(
      resolveRunConfig({ env: { HDPO_TRAIN_LEARNER__URL: "http://10.0.0.1:8000" } }),
    ).rejects.toThrow(
      /invalid config \(HDPO_TRAIN_LEARNER__URL\): learner\.baseModel: is required with learner\.url \(--base-model ID\)/,
    );
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
    const badYaml = join(dir, "bad.yaml");
    await writeFile(badYaml, "rl:\n  steps: [1, 2\n");
    await expect(resolveRunConfig({ file: badYaml })).rejects.toThrow(/bad\.yaml is not valid YAML: /);
    const scalarYaml = join(dir, "scalar.yml");
    await writeFile(scalarYaml, "quick\n");
    await expect(resolveRunConfig({ file: scalarYaml })).rejects.toThrow(/must hold a YAML mapping/);
    const list = join(dir, "list.json");
    await writeFile(list, "[1, 2]");
    await expect(resolveRunConfig({ file: list })).rejects.toThrow(/must hold a JSON object/);
  });
});
