import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LearnerInfo } from "@hdpo/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { configFingerprint, sftFingerprint } from "./config-fingerprint";
import { parseRunConfig } from "./run-config";
import { checkLearnerConfig, learnerFit, writeRemoteBase } from "./run-learner";

const REMOTE = { url: "http://127.0.0.1:8000", baseModel: "Qwen/Qwen3-8B" };

/** What the Tinker client reports for a SkyRL fsdp/megatron server (no `hdpo` extension). */
const SKYRL: LearnerInfo = {
  kind: "tinker",
  baseModel: "Qwen/Qwen3-8B",
  protocol: "skyrl@a9564572e",
  capabilities: {
    entropy: false,
    images: false,
    adamParams: "learning-rate",
    fixedGradClipNorm: 1,
    temperatures: [1],
  },
};

const TFJS: LearnerInfo = {
  kind: "tfjs",
  baseModel: "base",
  capabilities: { entropy: true, images: false, adamParams: "all" },
};

describe("learner settings", () => {
  it("needs a base model with a URL, and a URL for a base model or a tokenizer", () => {
    expect(() => parseRunConfig({ learner: { url: REMOTE.url } })).toThrow(
      /learner\.baseModel: is required with learner\.url/,
    );
    expect(() => parseRunConfig({ learner: { baseModel: "Qwen/Qwen3-8B" } })).toThrow(
      /learner\.baseModel: is for a remote learner; set learner\.url/,
    );
    expect(() => parseRunConfig({ learner: { tokenizer: "models/qwen" } })).toThrow(/learner\.tokenizer/);
    expect(parseRunConfig({ learner: REMOTE }).learner).toMatchObject({ ...REMOTE, loraRank: 0, retries: 3 });
  });

  it("refuses a key in a URL, so that config.json never holds one", () => {
    expect(() => parseRunConfig({ learner: { ...REMOTE, url: "http://user:secret@host:8000" } })).toThrow(
      /learner\.url: must not carry a user or password; put the key in the environment/,
    );
    expect(() => parseRunConfig({ sampler: { endpoints: ["http://k:secret@vllm:8001/v1"] } })).toThrow(
      /sampler\.endpoints\.0: must not carry a user or password/,
    );
  });

  it("takes one tool server or several replicas", () => {
    expect(parseRunConfig({ tools: { server: "http://a:1" } }).tools.server).toBe("http://a:1");
    expect(parseRunConfig({ tools: { server: ["http://a:1", "http://b:1"] } }).tools.server).toEqual([
      "http://a:1",
      "http://b:1",
    ]);
    expect(() => parseRunConfig({ tools: { server: [] } })).toThrow(/tools\.server/);
    expect(() => parseRunConfig({ tools: { server: ["http://a:1", "http://a:1"] } })).toThrow(
      /tools\.server: lists a replica twice/,
    );
  });
});

describe("config fingerprints with a remote learner", () => {
  const local = parseRunConfig({});
  const remote = parseRunConfig({ learner: REMOTE });

  it("leave in-process runs as they were, and tell a remote learner's base apart", () => {
    const { learner: _l, sampler: _s, ...rest } = local;
    // An in-process run's fingerprint does not mention the learner: runs written before remote learners resume.
    expect(configFingerprint(local)).not.toContain("learner");
    expect(JSON.parse(configFingerprint(local))).toEqual(
      JSON.parse(configFingerprint({ ...local, ...rest })),
    );
    expect(configFingerprint(remote)).not.toBe(configFingerprint(local));
    expect(sftFingerprint(remote)).not.toBe(sftFingerprint(local));
    const otherBase = parseRunConfig({ learner: { ...REMOTE, baseModel: "Qwen/Qwen3-4B" } });
    expect(configFingerprint(otherBase)).not.toBe(configFingerprint(remote));
  });

  it("let a resume reach the server at another address, with other timeouts and samplers", () => {
    const moved = parseRunConfig({
      learner: { ...REMOTE, url: "http://10.0.0.9:9000", requestTimeoutS: 5, retries: 9 },
      sampler: { endpoints: ["http://10.0.0.2:8001/v1"] },
    });
    expect(configFingerprint(moved)).toBe(configFingerprint(remote));
  });
});

describe("checkLearnerConfig", () => {
  it("refuses a KL term and --from-sft on a remote learner, in one line each", () => {
    expect(() =>
      checkLearnerConfig(parseRunConfig({ learner: REMOTE, rl: { klCoef: 0.01 } }), undefined),
    ).toThrow(/^rl\.klCoef 0\.01 needs a frozen copy of the SFT policy.*set rl\.klCoef 0/);
    expect(() => checkLearnerConfig(parseRunConfig({ learner: REMOTE }), "runs/a")).toThrow(
      /--from-sft loads a local SFT policy, which a remote learner cannot/,
    );
    // In process both are fine.
    checkLearnerConfig(parseRunConfig({ rl: { klCoef: 0.01 } }), "runs/a");
    checkLearnerConfig(parseRunConfig({ learner: REMOTE }), undefined);
  });
});

describe("learnerFit", () => {
  it("names what a SkyRL server ignores: Adam's constants, and a clip other than its own", () => {
    const config = parseRunConfig({ learner: REMOTE, sft: { gradClip: 1 }, rl: { gradClip: 0.5 } });
    const fit = learnerFit(config, SKYRL);
    expect(fit.problems).toEqual([]);
    expect(fit.ignored).toHaveLength(2);
    expect(fit.ignored[0]).toMatch(
      /only the learning rate.*betas, eps and weight decay of sft\.adam and rl\.adam/,
    );
    // sft.gradClip equals the server's 1 and is not mentioned.
    expect(fit.ignored[1]).toBe("rl.gradClip 0.5: the learner clips the gradient norm at 1 itself");
  });

  it("refuses an entropy bonus and a temperature the server does not score at", () => {
    const config = parseRunConfig({ learner: REMOTE, rl: { entropyCoef: 0.01, temperature: 0.7 } });
    const { problems } = learnerFit(config, SKYRL);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/rl\.entropyCoef 0\.01 needs the entropy.*tinker learner does not compute/);
    expect(problems[1]).toMatch(/rl\.temperature 0\.7: the learner scores log-probs at temperature 1 only/);
  });

  it("has nothing to say about the in-process learner", () => {
    const config = parseRunConfig({ rl: { entropyCoef: 0.01, temperature: 0.7, gradClip: 0.3 } });
    expect(learnerFit(config, TFJS)).toEqual({ problems: [], ignored: [] });
  });
});

describe("writeRemoteBase", () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "hdpo-remote-base-"));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("copies the base model's tokenizer files and nothing else", async () => {
    const model = join(root, "qwen");
    await mkdir(model);
    await writeFile(join(model, "tokenizer.json"), '{"model": {}}');
    await writeFile(join(model, "tokenizer_config.json"), "{}");
    await writeFile(join(model, "model.safetensors"), "weights stay on the server");
    await writeRemoteBase(model, join(root, "base"));
    expect((await readdir(join(root, "base"))).sort()).toEqual(["tokenizer.json", "tokenizer_config.json"]);
  });

  it("says which folder lacks tokenizer.json", async () => {
    await expect(writeRemoteBase(join(root, "missing"), join(root, "base2"))).rejects.toThrow(
      /learner\.tokenizer: .*missing.tokenizer\.json does not exist; pass the base model's Hugging Face folder/,
    );
  });
});
