import { useBackend } from "@hdpo/tensor";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DecoderModel } from "../model/decoder-model";
import { generate } from "../model/generate";
import { ModelSampler } from "../sampling/model-sampler";
import type { ByteLevelBpeTokenizer } from "../tokenizer/byte-level-bpe-tokenizer";
import { renderChat } from "../tokenizer/chat-template";
import { createPolicyServer, type PolicyServer } from "./policy-server";
import { createTestModel, trainTestTokenizer } from "./test-fixtures";

// Token-exact rollouts over HTTP: a client sends token ids, reads back the exact sampled ids, and continues from
// them without re-tokenising, as RL trainers do with vLLM.

const MODEL = "tiny-policy";
const MAX_BATCH = 8;
let tokenizer: ByteLevelBpeTokenizer;
let model: DecoderModel;
let server: PolicyServer;
let root: string;

beforeAll(async () => {
  await useBackend("cpu");
  tokenizer = trainTestTokenizer();
  model = createTestModel(tokenizer);
  server = createPolicyServer({ model, tokenizer, modelName: MODEL, maxBatchSize: MAX_BATCH });
  root = (await server.listen(0, "127.0.0.1")).url.replace(/\/v1$/, "");
});

afterAll(async () => {
  await server.close();
  model.dispose();
});

interface LogProbs {
  tokens: string[];
  token_logprobs: number[];
  top_logprobs: Record<string, number>[];
  text_offset: number[];
}
interface Choice {
  index: number;
  text: string;
  logprobs: LogProbs | null;
  finish_reason: string;
  token_ids?: number[];
  prompt_token_ids?: number[];
}
interface Completion {
  choices: Choice[];
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}
interface ApiError {
  error: { message: string; type: string; param: string | null; code: string | null };
}

async function post(path: string, body: unknown): Promise<{ status: number; json: unknown }> {
  const response = await fetch(root + path, {
    method: "POST",
    body: JSON.stringify(body),
    headers: { "content-type": "application/json" },
  });
  return { status: response.status, json: await response.json() };
}

async function complete(body: Record<string, unknown>): Promise<Completion> {
  const { status, json } = await post("/v1/completions", { model: MODEL, ...body });
  expect(status, JSON.stringify(json)).toBe(200);
  return json as Completion;
}

/** The ids behind `token_id:<id>` labels; throws on any other label, so a text label fails the test. */
function idsOf(labels: readonly string[]): number[] {
  return labels.map((label) => {
    if (!label.startsWith("token_id:")) throw new Error(`not a token_id label: ${JSON.stringify(label)}`);
    const digits = label.slice("token_id:".length);
    const id = Number(digits);
    if (digits.length === 0 || !Number.isInteger(id) || String(id) !== digits) {
      throw new Error(`malformed token_id label: ${JSON.stringify(label)}`);
    }
    return id;
  });
}

const chatPrompt = () =>
  tokenizer.encode(
    renderChat(
      [
        { role: "system", content: "You are a policy." },
        { role: "user", content: "Compute 6*7." },
      ],
      { addGenerationPrompt: true },
    ),
  );

describe("prompt as token ids", () => {
  it("gives the same completion as the same prompt sent as text, for one prompt and for several", async () => {
    const settings = { max_tokens: 12, seed: 12, temperature: 0.9, top_p: 0.95, logprobs: 2, n: 2 };
    const asText = await complete({ ...settings, prompt: "Hello world" });
    const asIds = await complete({ ...settings, prompt: tokenizer.encode("Hello world") });
    expect(asIds.choices).toEqual(asText.choices);
    expect(asIds.usage).toEqual(asText.usage);
    expect(asIds.choices[0]!.logprobs!.tokens.length).toBeGreaterThan(0);

    const texts = ["Hello world", "The quick brown"];
    const many = await complete({ ...settings, prompt: texts });
    const manyIds = await complete({ ...settings, prompt: texts.map((t) => tokenizer.encode(t)) });
    expect(manyIds.choices).toEqual(many.choices);
    expect(manyIds.usage).toEqual(many.usage);
    expect(many.choices).toHaveLength(4);
  });

  it("echoes the decoded ids in front of the completion", async () => {
    const ids = tokenizer.encode("The quick brown");
    const plain = await complete({ prompt: ids, max_tokens: 6, seed: 3 });
    const echoed = await complete({ prompt: ids, max_tokens: 6, seed: 3, echo: true });
    expect(echoed.choices[0]!.text).toBe(`The quick brown${plain.choices[0]!.text}`);
  });

  it("accepts the longest prompt the context allows (max_position_embeddings − 1 ids)", async () => {
    const longest = Array.from({ length: model.config.max_position_embeddings - 1 }, (_, i) => i % 300);
    const reply = await complete({ prompt: longest, max_tokens: 1, seed: 1 });
    expect(reply.usage.prompt_tokens).toBe(longest.length);
    expect(reply.usage.completion_tokens).toBe(1);
  });

  it("return_token_ids adds each choice's prompt and sampled ids, in full and streamed", async () => {
    const ids = tokenizer.encode("Hello world");
    const settings = { prompt: ids, max_tokens: 9, seed: 5, logprobs: 0, return_tokens_as_token_ids: true };
    const reply = await complete({ ...settings, return_token_ids: true });
    const choice = reply.choices[0]!;
    expect(choice.prompt_token_ids).toEqual(ids);
    expect(choice.token_ids).toEqual(idsOf(choice.logprobs!.tokens));
    const without = await complete(settings);
    expect(without.choices[0]!.token_ids).toBeUndefined();

    const response = await fetch(`${root}/v1/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: MODEL, ...settings, return_token_ids: true, stream: true }),
    });
    const events = (await response.text())
      .split("\n\n")
      .filter((e) => e.startsWith("data: ") && e !== "data: [DONE]")
      .map((e) => JSON.parse(e.slice("data: ".length)) as { choices: Choice[] });
    const streamed = events.flatMap((e) => e.choices.flatMap((c) => c.token_ids ?? []));
    const labels = events.flatMap((e) => e.choices.flatMap((c) => c.logprobs?.tokens ?? []));
    expect(streamed).toEqual(choice.token_ids);
    expect(idsOf(labels)).toEqual(choice.token_ids);
    expect(events[0]!.choices[0]!.prompt_token_ids).toEqual(ids);
    expect(events.slice(1).every((e) => e.choices[0]!.prompt_token_ids === undefined)).toBe(true);
  });
});

describe("return_tokens_as_token_ids", () => {
  it("names every sampled and top token token_id:<id>; the ids are what generate sampled and decode to the text", async () => {
    const prompt = tokenizer.encode("Hello world");
    const reply = await complete({
      prompt,
      max_tokens: 14,
      seed: 8,
      temperature: 0.8,
      logprobs: 3,
      return_tokens_as_token_ids: true,
    });
    const [expected] = generate(model, [prompt], {
      temperature: 0.8,
      topP: 1,
      maxTokens: 14,
      seed: 8,
      codec: tokenizer,
      stop: [],
    });
    const lp = reply.choices[0]!.logprobs!;
    const ids = idsOf(lp.tokens);
    expect(ids).toEqual(expected!.tokenIds);
    expect(lp.token_logprobs).toEqual(expected!.logProbs);
    expect(tokenizer.decode(ids, { skipSpecialTokens: true })).toBe(reply.choices[0]!.text);
    lp.top_logprobs.forEach((tops, i) => {
      const keys = Object.keys(tops);
      expect(keys.length).toBeGreaterThanOrEqual(1);
      expect(keys.length).toBeLessThanOrEqual(3);
      idsOf(keys);
      const sampled = tops[`token_id:${ids[i]}`];
      if (sampled !== undefined) expect(Math.abs(sampled - lp.token_logprobs[i]!)).toBeLessThan(1e-4);
    });
    // Control: without the flag the same request names tokens by their text.
    const plain = await complete({ prompt, max_tokens: 14, seed: 8, temperature: 0.8, logprobs: 3 });
    expect(plain.choices[0]!.logprobs!.tokens).toEqual(ids.map((id) => tokenizer.decode([id])));
  });

  it("works on /v1/chat/completions too, keeping each token's own bytes", async () => {
    const { status, json } = await post("/v1/chat/completions", {
      model: MODEL,
      messages: [
        { role: "system", content: "You are a policy." },
        { role: "user", content: "Compute 6*7." },
      ],
      max_tokens: 10,
      seed: 4,
      logprobs: true,
      top_logprobs: 2,
      return_tokens_as_token_ids: true,
    });
    expect(status).toBe(200);
    const content = (
      json as {
        choices: {
          logprobs: { content: { token: string; bytes: number[]; top_logprobs: { token: string }[] }[] };
        }[];
      }
    ).choices[0]!.logprobs.content;
    const [expected] = generate(model, [chatPrompt()], {
      temperature: 1,
      topP: 1,
      maxTokens: 10,
      seed: 4,
      codec: tokenizer,
      stop: [],
    });
    const ids = idsOf(content.map((c) => c.token));
    expect(ids).toEqual(expected!.tokenIds);
    for (const entry of content) idsOf(entry.top_logprobs.map((t) => t.token));
    const bytes = Uint8Array.from(content.flatMap((c) => c.bytes));
    expect(new TextDecoder().decode(bytes)).toBe(tokenizer.decode(ids));
  });
});

describe("what the sampled ids include", () => {
  it("a stop string: the ids run up to and including the token that completed it; the text stops before it", async () => {
    const settings = { prompt: tokenizer.encode("The quick brown"), max_tokens: 40, seed: 13, logprobs: 0 };
    const free = await complete({ ...settings, return_tokens_as_token_ids: true });
    const freeIds = idsOf(free.choices[0]!.logprobs!.tokens);
    const stop = pickStop(free.choices[0]!.text);
    const cut = await complete({ ...settings, stop, return_tokens_as_token_ids: true });
    const choice = cut.choices[0]!;
    const ids = idsOf(choice.logprobs!.tokens);
    expect(choice.finish_reason).toBe("stop");
    expect(choice.text).toBe(free.choices[0]!.text.slice(0, free.choices[0]!.text.indexOf(stop)));
    expect(ids).toEqual(freeIds.slice(0, ids.length));
    expect(choice.logprobs!.token_logprobs).toEqual(
      free.choices[0]!.logprobs!.token_logprobs.slice(0, ids.length),
    );
    expect(tokenizer.decode(ids)).toContain(stop);
    expect(tokenizer.decode(ids.slice(0, -1))).not.toContain(stop);
    expect(cut.usage.completion_tokens).toBe(ids.length);
  });

  it("an end-of-sequence token is the last id, with its log-prob, and is left out of the text", async () => {
    const prompt = tokenizer.encode("Hello world");
    const seed = firstSeedEndingWithEos(prompt, 40);
    const reply = await complete({
      prompt,
      max_tokens: 40,
      seed,
      logprobs: 0,
      return_tokens_as_token_ids: true,
    });
    const choice = reply.choices[0]!;
    const ids = idsOf(choice.logprobs!.tokens);
    expect(choice.finish_reason).toBe("stop");
    expect(tokenizer.eosTokenIds).toContain(ids.at(-1));
    expect(choice.logprobs!.token_logprobs).toHaveLength(ids.length);
    expect(Number.isFinite(choice.logprobs!.token_logprobs.at(-1))).toBe(true);
    expect(choice.text).toBe(tokenizer.decode(ids.slice(0, -1), { skipSpecialTokens: true }));
  });
});

describe("a two-turn continuation from ids", () => {
  it("samples what the in-process ModelSampler samples from the same ids and seed, turn after turn", async () => {
    const sampler = new ModelSampler(model, tokenizer);
    const turn1 = chatPrompt();
    const first = await complete({
      prompt: turn1,
      max_tokens: 10,
      seed: 21,
      logprobs: 0,
      return_tokens_as_token_ids: true,
    });
    const sampled1 = idsOf(first.choices[0]!.logprobs!.tokens);
    const local1 = await sampler.sample({
      prompt: [{ type: "encoded_text", tokens: turn1 }],
      maxTokens: 10,
      temperature: 1,
      topP: 1,
      seed: 21,
    });
    expect(sampled1).toEqual(local1.tokens);
    expect(first.choices[0]!.logprobs!.token_logprobs).toEqual(local1.logProbs);

    // The tool result's ids are appended to the exact ids: the trajectory is never re-tokenised as text.
    const turn2 = [...turn1, ...sampled1, ...tokenizer.encode("\nCode execution result:\n42\n")];
    const second = await complete({
      prompt: turn2,
      max_tokens: 12,
      seed: 22,
      temperature: 0.8,
      top_p: 0.9,
      logprobs: 0,
      return_tokens_as_token_ids: true,
    });
    const local2 = await sampler.sample({
      prompt: [{ type: "encoded_text", tokens: turn2 }],
      maxTokens: 12,
      temperature: 0.8,
      topP: 0.9,
      seed: 22,
    });
    expect(second.usage.prompt_tokens).toBe(turn2.length);
    expect(idsOf(second.choices[0]!.logprobs!.tokens)).toEqual(local2.tokens);
    expect(second.choices[0]!.logprobs!.token_logprobs).toEqual(local2.logProbs);
    expect(second.choices[0]!.finish_reason).toBe(local2.stopReason);
  });
});

describe("invalid id prompts", () => {
  const vocab = () => model.config.vocab_size;
  const context = () => model.config.max_position_embeddings;
  const cases: [string, () => unknown, string][] = [
    ["a negative id", () => [5, -1], "prompt[1] is -1"],
    ["a fractional id", () => [1.5], "prompt[0] is 1.5"],
    ["an id at the vocabulary size", () => [1, vocab()], "integers from 0 to 319"],
    ["a boolean among ids", () => [1, true], "prompt[1] is a boolean"],
    ["a string among ids", () => [1, "a"], "prompt[1] is a string"],
    ["an empty array", () => [], "empty array"],
    ["an empty id list", () => [[]], "prompt[0] has no token ids"],
    ["an empty second id list", () => [[1, 2], []], "prompt[1] has no token ids"],
    ["a bad id in a second list", () => [[1], [2, -3]], "prompt[1][1] is -3"],
    ["a string among id lists", () => [[1], "a"], "prompt mixes shapes"],
    ["an id list among strings", () => ["a", [1]], "prompt mixes shapes"],
    ["lists nested too deep", () => [[[1]]], "prompt[0][0] is an array"],
    ["an object", () => ({ ids: [1] }), "got an object"],
    ["null", () => null, "got null"],
    [
      "a prompt of the whole context",
      () => Array.from({ length: context() }, () => 1),
      "max_position_embeddings",
    ],
    [
      "a too-long second prompt",
      () => [[1], Array.from({ length: context() + 5 }, () => 1)],
      "max_position_embeddings",
    ],
    ["too many prompts", () => Array.from({ length: MAX_BATCH + 1 }, () => [1]), "at most 8"],
    ["too many text prompts", () => Array.from({ length: MAX_BATCH + 1 }, () => "a"), "at most 8"],
  ];

  it.each(cases)("%s is a 400 with one clear message naming prompt", async (_, prompt, snippet) => {
    const { status, json } = await post("/v1/completions", { model: MODEL, prompt: prompt(), max_tokens: 1 });
    expect(status, JSON.stringify(json)).toBe(400);
    const { error } = json as ApiError;
    expect(error.type).toBe("invalid_request_error");
    expect(error.param).toBe("prompt");
    expect(error.message).toContain(snippet);
    expect(error.message.includes("\n")).toBe(false);
    expect(error.code).toBe(
      snippet === "max_position_embeddings" ? "context_length_exceeded" : "invalid_value",
    );
  });

  it("the context error is the one a too-long text prompt gets", async () => {
    const text = await post("/v1/completions", {
      model: MODEL,
      prompt: "Hello world ".repeat(200),
      max_tokens: 1,
    });
    const ids = await post("/v1/completions", {
      model: MODEL,
      prompt: Array.from({ length: 100 }, () => 1),
      max_tokens: 1,
    });
    const textError = (text.json as ApiError).error;
    const idsError = (ids.json as ApiError).error;
    expect(ids.status).toBe(400);
    expect(text.status).toBe(400);
    expect({ ...idsError, message: "" }).toEqual({ ...textError, message: "" });
    expect(idsError.message).toBe(
      "The prompt has 100 tokens but the model's context (max_position_embeddings) is 96; shorten it to at most 95 tokens to leave room for the completion.",
    );
    expect(textError.message.slice(textError.message.indexOf(" but "))).toBe(
      idsError.message.slice(idsError.message.indexOf(" but ")),
    );
  });

  it("keeps serving after all of them", async () => {
    const reply = await complete({ prompt: [1, 2, 3], max_tokens: 2, seed: 1 });
    expect(reply.choices).toHaveLength(1);
    expect(reply.usage.prompt_tokens).toBe(3);
  });
});

/** The first seed whose sample of `prompt` ends with an end-of-sequence token (found in-process). */
function firstSeedEndingWithEos(prompt: number[], maxTokens: number): number {
  for (let seed = 0; seed < 500; seed++) {
    const [s] = generate(model, [prompt], {
      temperature: 1,
      topP: 1,
      maxTokens,
      seed,
      codec: tokenizer,
      stop: [],
    });
    if (s!.finishReason === "stop") return seed;
  }
  throw new Error("no seed in 0..499 ends with an end-of-sequence token; pick another prompt");
}

/** A two-character stop string that first occurs after the start of `text` (no replacement characters). */
function pickStop(text: string): string {
  for (let at = 2; at + 2 <= text.length; at++) {
    const candidate = text.slice(at, at + 2);
    if (!candidate.includes("\uFFFD") && text.indexOf(candidate) === at) return candidate;
  }
  throw new Error(`no usable stop string in ${JSON.stringify(text)}`);
}
