import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { tf, useBackend } from "@hdpo/tensor";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadPolicy, savePolicy } from "./policy-checkpoint";
import { createTestModel, trainTestTokenizer } from "./test-fixtures";

let directory: string;

beforeAll(async () => {
  await useBackend("wasm");
  directory = await mkdtemp(path.join(tmpdir(), "hdpo-policy-"));
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe("savePolicy / loadPolicy", () => {
  it("round-trips weights bit-exactly, the tokenizer and the generation config, and generates the same text", async () => {
    const tokenizer = trainTestTokenizer();
    const model = createTestModel(tokenizer);
    const dir = path.join(directory, "round-trip");
    const { files } = await savePolicy(dir, { model, tokenizer, generationConfig: { temperature: 0.7 } });
    expect(files.map((f) => path.basename(f)).sort()).toEqual(
      ["config.json", "generation_config.json", "model.safetensors", "tokenizer.json"].sort(),
    );

    const loaded = await loadPolicy(dir);
    const before = model.weights();
    const after = loaded.model.weights();
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    for (const [name, weight] of before) {
      expect(Buffer.from(after.get(name)!.data.buffer).equals(Buffer.from(weight.data.buffer)), name).toBe(
        true,
      );
    }
    expect(loaded.generationConfig?.temperature).toBe(0.7);
    expect(loaded.generationConfig?.eos_token_id).toEqual([...tokenizer.eosTokenIds]);
    const text = "<reason>Compute it.</reason><answer>42</answer>";
    expect(loaded.tokenizer.encode(text)).toEqual(tokenizer.encode(text));

    const prompt = [tokenizer.encode("Hello world")];
    const options = { temperature: 1, topP: 1, maxTokens: 8, seed: 3, stopTokenIds: [] };
    expect(loaded.model.generate(prompt, options)[0]!.tokenIds).toEqual(
      model.generate(prompt, options)[0]!.tokenIds,
    );
    const tensors = tf.memory().numTensors;
    model.dispose();
    loaded.model.dispose();
    expect(tf.memory().numTensors).toBeLessThan(tensors);
  });

  it("refuses a directory without tokenizer.json, and a tokenizer larger than the model's vocabulary", async () => {
    const tokenizer = trainTestTokenizer();
    const model = createTestModel(tokenizer);
    const dir = path.join(directory, "broken");
    await savePolicy(dir, { model, tokenizer });
    model.dispose();

    const json = JSON.parse(await readFile(path.join(dir, "tokenizer.json"), "utf8"));
    json.added_tokens.push({ id: tokenizer.vocabSize, content: "<extra>", special: true });
    await writeFile(path.join(dir, "tokenizer.json"), JSON.stringify(json));
    await expect(loadPolicy(dir)).rejects.toThrow(
      /tokenizer\.json has \d+ tokens but config\.json's vocab_size is \d+/,
    );

    await rm(path.join(dir, "tokenizer.json"));
    await expect(loadPolicy(dir)).rejects.toThrow(/has no tokenizer\.json/);
  });
});
