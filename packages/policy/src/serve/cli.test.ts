import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { useBackend } from "@hdpo/tensor";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { saveCheckpoint } from "../checkpoint/save-checkpoint";
import { type CliIo, main } from "./cli";
import { createTestModel, trainTestTokenizer } from "./test-fixtures";

let root: string;
let checkpoint: string;
let noTokenizer: string;

function capture(): CliIo & { out_: string[]; err_: string[] } {
  const out_: string[] = [];
  const err_: string[] = [];
  return { out_, err_, out: (l) => out_.push(l), err: (l) => err_.push(l) };
}

beforeAll(async () => {
  await useBackend("cpu");
  root = await mkdtemp(join(tmpdir(), "hdpo-serve-"));
  const tokenizer = trainTestTokenizer();
  const model = createTestModel(tokenizer);
  checkpoint = join(root, "tiny-ckpt");
  noTokenizer = join(root, "no-tokenizer");
  await saveCheckpoint(checkpoint, {
    config: model.config,
    weights: model.weights(),
    tokenizerJson: tokenizer.toTokenizerJson(),
  });
  await saveCheckpoint(noTokenizer, { config: model.config, weights: model.weights() });
  model.dispose();
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("hdpo-serve main", () => {
  it("loads a checkpoint, prints one ready line and serves it", async () => {
    const io = capture();
    const result = await main(
      ["--checkpoint", checkpoint, "--host", "127.0.0.1", "--port", "0", "--backend", "cpu"],
      io,
    );
    try {
      expect(result.exitCode).toBe(0);
      expect(io.err_).toEqual([]);
      expect(io.out_).toHaveLength(1);
      expect(io.out_[0]).toMatch(
        /^hdpo-serve listening on http:\/\/127\.0\.0\.1:\d+\/v1 \(model tiny-ckpt\)$/,
      );
      const client = new OpenAI({ baseURL: result.url!, apiKey: "unused", maxRetries: 0 });
      expect((await client.models.list()).data[0]!.id).toBe("tiny-ckpt");
      const reply = await client.completions.create({ model: "tiny-ckpt", prompt: "Hello", max_tokens: 2 });
      expect(reply.choices).toHaveLength(1);
    } finally {
      await result.server?.close();
    }
  });

  it("serves under --model-name", async () => {
    const io = capture();
    const result = await main(["--checkpoint", checkpoint, "--port", "0", "--model-name", "policy-v1"], io);
    await result.server?.close();
    expect(io.out_[0]).toMatch(/\(model policy-v1\)$/);
  });

  it("prints the usage for --help", async () => {
    const io = capture();
    expect((await main(["--help"], io)).exitCode).toBe(0);
    expect(io.out_[0]).toContain("--checkpoint DIR");
  });

  it.each([
    [[], /--checkpoint DIR is required/, 1],
    [["--checkpoint", "/definitely/not/here"], /is not a directory/, 1],
    [["--checkpoint", "NO_TOKENIZER"], /has no tokenizer\.json/, 1],
    [["--checkpoint", "ROOT"], /config\.json/, 1],
    [["--checkpoint", "x", "--port", "http"], /--port must be an integer/, 1],
    [["--checkpoint", "x", "--backend", "gpu"], /--backend must be wasm or cpu/, 1],
    [["--frobnicate"], /Unknown option/, 2],
  ] as const)("refuses %j clearly", async (argv, message, code) => {
    const io = capture();
    const args = argv.map((a) => (a === "NO_TOKENIZER" ? noTokenizer : a === "ROOT" ? root : a));
    const result = await main(args, io);
    expect(result.exitCode).toBe(code);
    expect(result.server).toBeUndefined();
    expect(io.out_).toEqual([]);
    expect(io.err_.join("\n")).toMatch(message);
  });
});
