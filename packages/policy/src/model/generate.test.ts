import { tf, useBackend } from "@hdpo/tensor";
import { beforeAll, describe, expect, it } from "vitest";
import { PolicyError } from "../policy-error";
import type { TextCodec } from "../text-codec";
import { DecoderModel } from "./decoder-model";
import { maxAbsDiff, randomWeights, TINY_GQA } from "./test-configs";

/** One character per token id (vocab 37), so text offsets are token offsets. */
const ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789_";
const codec: TextCodec = {
  encode: (text) => [...text].map((c) => ALPHABET.indexOf(c)),
  decode: (ids) => ids.map((i) => ALPHABET[i]).join(""),
  vocabSize: 37,
  eosTokenIds: [],
  padTokenId: 0,
};

const PROMPTS = [[3, 4, 5, 6, 7], [8], [9, 10, 11]];

function argmax(row: readonly number[]): number {
  return row.reduce((best, v, i) => (v > row[best]! ? i : best), 0);
}

describe.each(["cpu", "wasm"] as const)("generate on %s", (backend) => {
  let model: DecoderModel;
  beforeAll(async () => {
    await useBackend(backend);
    model = DecoderModel.fromWeights(TINY_GQA, randomWeights(TINY_GQA, 31));
    return () => model.dispose();
  });

  it("greedy decoding with the KV cache gives the tokens of full recomputation", () => {
    const out = model.generate(PROMPTS, { temperature: 0, topP: 1, maxTokens: 8, seed: 1, stopTokenIds: [] });
    PROMPTS.forEach((prompt, b) => {
      const ids = [...prompt];
      for (let step = 0; step < 8; step++) {
        const logits = model.forward([ids], { lengths: [ids.length] });
        ids.push(argmax(logits.arraySync()[0]!.at(-1)!));
        logits.dispose();
      }
      expect(out[b]!.tokenIds).toEqual(ids.slice(prompt.length));
      expect(out[b]!.finishReason).toBe("length");
      expect(out[b]!.logProbs).toEqual(new Array(8).fill(0));
    });
  });

  it("decodeStep's logits equal a full forward's at that position, for right-padded prompts", () => {
    const prefilled = model.prefill(PROMPTS);
    const first = [1, 2, 3];
    const stepped = model.decodeStep(prefilled.state, first);
    const second = model.decodeStep(stepped.state, [4, 5, 6]);
    PROMPTS.forEach((prompt, b) => {
      const full = model.forward([[...prompt, first[b]!, [4, 5, 6][b]!]], { lengths: [prompt.length + 2] });
      const rows = full.arraySync()[0]!;
      expect(maxAbsDiff(prefilled.logits.arraySync()[b], rows[prompt.length - 1])).toBeLessThan(1e-5);
      expect(maxAbsDiff(stepped.logits.arraySync()[b], rows[prompt.length])).toBeLessThan(1e-5);
      expect(maxAbsDiff(second.logits.arraySync()[b], rows[prompt.length + 1])).toBeLessThan(1e-5);
      full.dispose();
    });
    tf.dispose([prefilled.logits, stepped.logits, second.logits]);
    for (const layer of second.state.layers) tf.dispose([layer.keys, layer.values]);
  });

  it("reports sampling log-probs equal to logProbs() of the sequences (temperature 1, top-p 1)", () => {
    const out = model.generate(PROMPTS, { temperature: 1, topP: 1, maxTokens: 6, seed: 5, stopTokenIds: [] });
    const sequences = PROMPTS.map((p, b) => [...p, ...out[b]!.tokenIds]);
    const { logProbs, mask } = model.logProbs({ sequences, promptLengths: PROMPTS.map((p) => p.length) });
    expect(
      maxAbsDiff(
        logProbs.arraySync(),
        out.map((o) => o.logProbs),
      ),
    ).toBeLessThan(1e-4);
    expect(
      mask
        .arraySync()
        .flat()
        .every((m) => m === 1),
    ).toBe(true);
    tf.dispose([logProbs, mask]);
  });

  it("is reproducible for a seed, varies with it, and a row does not depend on its batch", () => {
    const options = { temperature: 1, topP: 0.9, maxTokens: 6, seed: 9, stopTokenIds: [] };
    const a = model.generate(PROMPTS, options);
    expect(model.generate(PROMPTS, options)).toEqual(a);
    expect(model.generate(PROMPTS, { ...options, seed: 10 })).not.toEqual(a);
    expect(model.generate([PROMPTS[0]!], options)[0]!.tokenIds).toEqual(a[0]!.tokenIds);
  });

  it("stops at a stop token (kept) and at a stop string (cut after its last token), per row", () => {
    const free = model.generate(PROMPTS, {
      temperature: 0,
      topP: 1,
      maxTokens: 10,
      seed: 1,
      stopTokenIds: [],
    });
    const stopId = free[0]!.tokenIds[2]!;
    const byId = model.generate(PROMPTS, {
      temperature: 0,
      topP: 1,
      maxTokens: 10,
      seed: 1,
      stopTokenIds: [stopId],
    });
    const firstAt = free[0]!.tokenIds.indexOf(stopId);
    expect(byId[0]!.tokenIds).toEqual(free[0]!.tokenIds.slice(0, firstAt + 1));
    expect(byId[0]!.finishReason).toBe("stop");
    free.forEach((f, b) => {
      const at = f.tokenIds.indexOf(stopId);
      expect(byId[b]!.finishReason).toBe(at < 0 ? "length" : "stop");
      expect(byId[b]!.tokenIds).toEqual(at < 0 ? f.tokenIds : f.tokenIds.slice(0, at + 1));
    });
    // A two-token stop string from row 1's free text; one character per token, so the cut is at the
    // end of its first occurrence.
    const text1 = codec.decode(free[1]!.tokenIds);
    const stop = text1.slice(3, 5);
    const byString = model.generate(PROMPTS, {
      temperature: 0,
      topP: 1,
      maxTokens: 10,
      seed: 1,
      stopTokenIds: [],
      stop: [stop],
      codec,
    });
    expect(byString[1]!.tokenIds).toEqual(free[1]!.tokenIds.slice(0, text1.indexOf(stop) + 2));
    expect(byString[1]!.text).toBe(text1.slice(0, text1.indexOf(stop) + 2));
    expect(byString[1]!.finishReason).toBe("stop");
    free.forEach((f, b) => {
      const text = codec.decode(f.tokenIds);
      const at = text.indexOf(stop);
      expect(byString[b]!.tokenIds).toEqual(at < 0 ? f.tokenIds : f.tokenIds.slice(0, at + stop.length));
    });
  });

  it("uses the config's eos_token_id when no stop ids are given", () => {
    // TINY_GQA has eos_token_id 2: whatever is generated, a 2 can only be the last token.
    const out = model.generate(PROMPTS, { temperature: 2, topP: 1, maxTokens: 30, seed: 3 });
    for (const o of out) {
      expect(o.tokenIds.slice(0, -1)).not.toContain(2);
      expect(o.finishReason).toBe(o.tokenIds.at(-1) === 2 ? "stop" : "length");
      if (o.finishReason === "length") expect(o.tokenIds).toHaveLength(30);
    }
  });

  it("leaks no tensors", () => {
    const before = tf.memory().numTensors;
    model.generate(PROMPTS, { temperature: 1, topP: 0.8, maxTokens: 7, seed: 2, stopTokenIds: [4, 5] });
    expect(tf.memory().numTensors).toBe(before);
  });

  it("validates its options", () => {
    const base = { temperature: 1, topP: 1, maxTokens: 3, seed: 1 };
    expect(() => model.generate(PROMPTS, { ...base, temperature: -1 })).toThrow(/temperature/);
    expect(() => model.generate(PROMPTS, { ...base, topP: 0 })).toThrow(/topP/);
    expect(() => model.generate(PROMPTS, { ...base, maxTokens: 0 })).toThrow(/maxTokens/);
    expect(() => model.generate(PROMPTS, { ...base, stop: ["x"] })).toThrow(/codec/);
    expect(() => model.generate([[]], base)).toThrow(PolicyError);
    expect(() => model.generate([[99]], base)).toThrow(/token id 99/);
  });
});

describe("generate across backends", () => {
  it("samples the same tokens on cpu and wasm for a seed", async () => {
    const weights = randomWeights(TINY_GQA, 32);
    const run = async (backend: "cpu" | "wasm") => {
      await useBackend(backend);
      const model = DecoderModel.fromWeights(TINY_GQA, weights);
      const out = model.generate(PROMPTS, {
        temperature: 1,
        topP: 0.95,
        maxTokens: 8,
        seed: 4,
        stopTokenIds: [],
      });
      model.dispose();
      return out.map((o) => o.tokenIds);
    };
    expect(await run("wasm")).toEqual(await run("cpu"));
  });
});
