import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { type AddressInfo, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TINY_CONFIG } from "@hdpo/trainer/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { capturedIo } from "../test-support/captured-io";
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

  it("reads the tool server and the judge from their flags; --judge rules drops an LLM judge set earlier", () => {
    const args = parseTrainArgs([
      "--tool-server",
      "http://127.0.0.1:30569",
      "--judge",
      "http://127.0.0.1:8000/v1",
      "--judge-model",
      "qwen-judge",
    ]);
    expect(args.overrides).toEqual({
      tools: { server: "http://127.0.0.1:30569" },
      judge: { baseUrl: "http://127.0.0.1:8000/v1", model: "qwen-judge" },
    });
    expect(parseTrainArgs(["--judge", "rules"]).overrides).toEqual({ judge: { baseUrl: null } });
  });

  it("reads a remote learner, sampler endpoints and tool-server replicas from their flags", () => {
    const args = parseTrainArgs([
      "--learner",
      "http://10.0.0.1:8000",
      "--base-model",
      "Qwen/Qwen3-8B",
      "--tokenizer",
      "models/Qwen3-8B",
      "--lora-rank",
      "32",
      "--sampler-endpoint",
      "http://10.0.0.2:8001/v1",
      "--sampler-endpoint",
      "http://10.0.0.3:8001/v1",
      "--sampler-model",
      "policy",
      "--tool-server",
      "http://10.0.0.4:30569",
      "--tool-server",
      "http://10.0.0.5:30569",
    ]);
    expect(args.overrides).toEqual({
      learner: {
        url: "http://10.0.0.1:8000",
        baseModel: "Qwen/Qwen3-8B",
        tokenizer: "models/Qwen3-8B",
        loraRank: 32,
      },
      sampler: { endpoints: ["http://10.0.0.2:8001/v1", "http://10.0.0.3:8001/v1"], model: "policy" },
      tools: { server: ["http://10.0.0.4:30569", "http://10.0.0.5:30569"] },
    });
    expect(() => parseTrainArgs(["--lora-rank", "8.5"])).toThrow(/--lora-rank must be a whole number/);
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
    expect(b.err()).toMatch(/^hdpo-train: invalid config \(.*bad\.json\): rl\.groupSize: /);
  });

  it("says in one line, before any work, that no learner answers at --learner URL", async () => {
    const file = join(dir, "tiny.json");
    await writeFile(file, JSON.stringify(TINY_CONFIG));
    const out = join(dir, "no-learner");
    // A port that was free a moment ago: nothing listens there.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    const url = `http://127.0.0.1:${port}`;
    const b = capturedIo();
    const args = ["run", "--config", file, "--out", out, "--learner", url, "--base-model", "m"];
    expect(
      await main(
        [...args, "--set", "learner.retries=0", "--set", "rl.klCoef=0", "--set", "rl.entropyCoef=0"],
        b.io,
      ),
    ).toBe(1);
    expect(b.err()).toMatch(
      /^hdpo-train: learner: connect: no Tinker server answers at http:\/\/127\.0\.0\.1:\d+\/api\/v1\/healthz \(ECONNREFUSED\); start one .*or fix the URL\.\n$/,
    );
    expect(b.err()).toContain(`${url}/api/v1/healthz`);
    // Neither the suite nor the cold start ran.
    await expect(readFile(join(out, "data", "train.jsonl"), "utf8")).rejects.toThrow(/ENOENT/);
  });

  it("writes the suite alone (hdpo-train suite), as the run with the same settings writes it", async () => {
    const file = join(dir, "suite.json");
    await writeFile(file, JSON.stringify(TINY_CONFIG));
    const out = join(dir, "suite-only");
    const b = capturedIo();
    // The environment's LLM judge is no concern of the suite, and --judge rules takes it back anyway.
    const io = { ...b.io, env: { JUDGE_BASE_URL: "http://127.0.0.1:1/v1" } };
    expect(await main(["suite", "--config", file, "--out", out, "--judge", "rules"], io)).toBe(0);
    expect(b.out()).toMatch(/^suite: 12 train, 3 val, 6 test tasks; \d+ corpus documents\n/);
    expect(b.out()).toContain(`--search-provider local --search-corpus ${join(out, "data", "corpus.jsonl")}`);
    const corpus = (await readFile(join(out, "data", "corpus.jsonl"), "utf8")).trim().split("\n");
    expect(b.out()).toContain(`; ${corpus.length} corpus documents`);
    const train = (await readFile(join(out, "data", "train.jsonl"), "utf8")).trim().split("\n");
    expect(train).toHaveLength(12);
    const suiteB = capturedIo();
    expect(await main(["suite", "--config", file, "--out", out, "--resume"], suiteB.io)).toBe(1);
    expect(suiteB.err()).toContain("takes no --resume or --from-sft");
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
