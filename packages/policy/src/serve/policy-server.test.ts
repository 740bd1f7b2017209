import { useBackend } from "@hdpo/tensor";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DecoderModel } from "../model/decoder-model";
import { generate } from "../model/generate";
import type { ByteLevelBpeTokenizer } from "../tokenizer/byte-level-bpe-tokenizer";
import { renderChat } from "../tokenizer/chat-template";
import { choiceText } from "./choice-text";
import { createPolicyServer, type PolicyServer } from "./policy-server";
import { createTestModel, type RecordedCall, recordingGenerate, trainTestTokenizer } from "./test-fixtures";

const MODEL = "tiny-policy";
let tokenizer: ByteLevelBpeTokenizer;
let model: DecoderModel;
let server: PolicyServer;
let baseURL: string;
let client: OpenAI;
let calls: RecordedCall[];

beforeAll(async () => {
  await useBackend("cpu");
  tokenizer = trainTestTokenizer();
  model = createTestModel(tokenizer);
  const recorder = recordingGenerate();
  calls = recorder.calls;
  // A wide window so that the concurrent requests below surely meet in one batch.
  server = createPolicyServer({
    model,
    tokenizer,
    modelName: MODEL,
    batchWindowMs: 50,
    generate: recorder.generate,
    maxRequestTokens: 2000,
  });
  baseURL = (await server.listen(0, "127.0.0.1")).url;
  client = new OpenAI({ baseURL, apiKey: "unused", maxRetries: 0 });
});

afterAll(async () => {
  await server.close();
  model.dispose();
});

const userMessages = [
  { role: "system" as const, content: "You are a policy." },
  { role: "user" as const, content: "Hello world" },
];

/** What the server must answer for one seeded row: the same generate call, run directly. */
function expectedRow(
  prompt: number[],
  settings: { temperature: number; topP: number; maxTokens: number; seed: number; stop?: string[] },
  row = 0,
) {
  const sequences = generate(
    model,
    Array.from({ length: row + 1 }, () => prompt),
    { ...settings, codec: tokenizer, stop: settings.stop ?? [] },
  );
  return { sequence: sequences[row]!, choice: choiceText(sequences[row]!, tokenizer, settings.stop ?? []) };
}

const chatPrompt = () => tokenizer.encode(renderChat(userMessages, { addGenerationPrompt: true }));

describe("GET /v1/models", () => {
  it("lists the one model, and its id is what a client discovers and can use", async () => {
    const models = await client.models.list();
    expect(models.data).toHaveLength(1);
    expect(models.data[0]).toMatchObject({ id: MODEL, object: "model", owned_by: "hdpo" });
    const discovered = models.data[0]!.id;
    const reply = await client.chat.completions.create({
      model: discovered,
      messages: userMessages,
      max_tokens: 2,
    });
    expect(reply.model).toBe(MODEL);
  });

  it("answers /health", async () => {
    const response = await fetch(baseURL.replace(/\/v1$/, "/health"));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok" });
  });
});

describe("POST /v1/chat/completions", () => {
  it("returns exactly what generate gives for the rendered chat and the seed", async () => {
    const reply = await client.chat.completions.create({
      model: MODEL,
      messages: userMessages,
      max_tokens: 12,
      temperature: 0.9,
      top_p: 0.95,
      seed: 11,
    });
    const prompt = chatPrompt();
    const { sequence, choice } = expectedRow(prompt, {
      temperature: 0.9,
      topP: 0.95,
      maxTokens: 12,
      seed: 11,
    });
    expect(reply.object).toBe("chat.completion");
    expect(reply.choices).toHaveLength(1);
    expect(reply.choices[0]!.message).toMatchObject({ role: "assistant", content: choice.text });
    expect(reply.choices[0]!.finish_reason).toBe(sequence.finishReason);
    expect(reply.usage).toEqual({
      prompt_tokens: prompt.length,
      completion_tokens: sequence.tokenIds.length,
      total_tokens: prompt.length + sequence.tokenIds.length,
    });
    expect(reply.choices[0]!.logprobs).toBeNull();
  });

  it("gives n choices, row i of the seeded call each", async () => {
    const reply = await client.chat.completions.create({
      model: MODEL,
      messages: userMessages,
      max_tokens: 6,
      n: 3,
      seed: 5,
    });
    expect(reply.choices.map((c) => c.index)).toEqual([0, 1, 2]);
    for (let i = 0; i < 3; i++) {
      const { choice } = expectedRow(chatPrompt(), { temperature: 1, topP: 1, maxTokens: 6, seed: 5 }, i);
      expect(reply.choices[i]!.message.content).toBe(choice.text);
    }
    expect(new Set(reply.choices.map((c) => c.message.content)).size).toBeGreaterThan(1);
  });

  it("honours max_completion_tokens and reports finish_reason length", async () => {
    const reply = await client.chat.completions.create({
      model: MODEL,
      messages: userMessages,
      max_completion_tokens: 3,
      seed: 2,
      temperature: 0,
    });
    const { sequence } = expectedRow(chatPrompt(), { temperature: 0, topP: 1, maxTokens: 3, seed: 2 });
    expect(reply.usage!.completion_tokens).toBe(sequence.tokenIds.length);
    expect(reply.usage!.completion_tokens).toBeLessThanOrEqual(3);
    expect(reply.choices[0]!.finish_reason).toBe(sequence.finishReason);
  });

  it("cuts at a stop string, leaves the stop string out and says stop", async () => {
    const settings = { model: MODEL, messages: userMessages, max_tokens: 40, seed: 3, temperature: 1 };
    const free = (await client.chat.completions.create(settings)).choices[0]!.message.content!;
    const stop = pickStop(free);
    const cut = await client.chat.completions.create({ ...settings, stop: [stop, "never-appears-xyz"] });
    expect(cut.choices[0]!.message.content).toBe(free.slice(0, free.indexOf(stop)));
    expect(cut.choices[0]!.finish_reason).toBe("stop");
    const single = await client.chat.completions.create({ ...settings, stop });
    expect(single.choices[0]!.message.content).toBe(free.slice(0, free.indexOf(stop)));
  });

  it("returns log-probs of the sampled tokens, their bytes and the top alternatives", async () => {
    const reply = await client.chat.completions.create({
      model: MODEL,
      messages: userMessages,
      max_tokens: 10,
      seed: 9,
      temperature: 0.8,
      top_p: 0.9,
      logprobs: true,
      top_logprobs: 4,
    });
    const { sequence } = expectedRow(chatPrompt(), { temperature: 0.8, topP: 0.9, maxTokens: 10, seed: 9 });
    const content = reply.choices[0]!.logprobs!.content!;
    expect(content).toHaveLength(reply.usage!.completion_tokens);
    expect(content.map((c) => c.logprob)).toEqual(sequence.logProbs);
    const bytes = content.flatMap((c) => c.bytes!);
    expect(new TextDecoder().decode(Uint8Array.from(bytes))).toBe(tokenizer.decode(sequence.tokenIds));
    content.forEach((entry, i) => {
      expect(Number.isFinite(entry.logprob) && entry.logprob <= 0).toBe(true);
      expect(entry.token).toBe(tokenizer.decode([sequence.tokenIds[i]!]));
      const tops = entry.top_logprobs;
      expect(tops.length).toBeGreaterThanOrEqual(1);
      expect(tops.length).toBeLessThanOrEqual(4);
      for (let j = 1; j < tops.length; j++)
        expect(tops[j]!.logprob).toBeLessThanOrEqual(tops[j - 1]!.logprob);
      expect(tops.reduce((s, t) => s + Math.exp(t.logprob), 0)).toBeLessThanOrEqual(1 + 1e-9);
      // The sampled token is at most as likely as the top one (float32: forward vs KV cache).
      expect(entry.logprob).toBeLessThanOrEqual(tops[0]!.logprob + 1e-4);
      const same = tops.find((t) => t.token === entry.token && t.bytes!.join() === entry.bytes!.join());
      if (same !== undefined) expect(Math.abs(same.logprob - entry.logprob)).toBeLessThan(1e-4);
    });
  });

  it("greedy log-probs are 0 with the one token as the only alternative", async () => {
    const reply = await client.chat.completions.create({
      model: MODEL,
      messages: userMessages,
      max_tokens: 5,
      temperature: 0,
      logprobs: true,
      top_logprobs: 5,
    });
    for (const entry of reply.choices[0]!.logprobs!.content!) {
      expect(entry.logprob).toBe(0);
      expect(entry.top_logprobs).toEqual([{ token: entry.token, logprob: 0, bytes: entry.bytes }]);
    }
  });

  it("streams deltas that add up to the non-streamed text, then [DONE]", async () => {
    const settings = { model: MODEL, messages: userMessages, max_tokens: 16, seed: 21, n: 2 };
    const whole = await client.chat.completions.create(settings);
    const stream = await client.chat.completions.create({
      ...settings,
      stream: true,
      stream_options: { include_usage: true },
    });
    const texts = ["", ""];
    const finish: (string | null)[] = [null, null];
    let usage: unknown;
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      expect(chunk.object).toBe("chat.completion.chunk");
      if (chunk.usage) usage = chunk.usage;
      for (const c of chunk.choices) {
        texts[c.index] += c.delta.content ?? "";
        if (c.finish_reason !== null) finish[c.index] = c.finish_reason;
      }
    }
    expect(texts).toEqual(whole.choices.map((c) => c.message.content));
    expect(finish).toEqual(whole.choices.map((c) => c.finish_reason));
    expect(usage).toEqual(whole.usage);
    expect(chunks).toBeGreaterThan(4);
  });
});

describe("POST /v1/completions", () => {
  it("returns what generate gives for each prompt and n", async () => {
    const reply = await client.completions.create({
      model: MODEL,
      prompt: ["Hello world", "The quick"],
      max_tokens: 7,
      n: 2,
      seed: 4,
    });
    const prompts = ["Hello world", "The quick"].map((p) => tokenizer.encode(p));
    const rows = generate(model, [prompts[0]!, prompts[0]!, prompts[1]!, prompts[1]!], {
      temperature: 1,
      topP: 1,
      maxTokens: 7,
      seed: 4,
      codec: tokenizer,
      stop: [],
    });
    expect(reply.choices.map((c) => c.text)).toEqual(rows.map((r) => choiceText(r, tokenizer, []).text));
    expect(reply.choices.map((c) => c.finish_reason)).toEqual(rows.map((r) => r.finishReason));
    expect(reply.usage).toEqual({
      prompt_tokens: prompts[0]!.length + prompts[1]!.length,
      completion_tokens: rows.reduce((s, r) => s + r.tokenIds.length, 0),
      total_tokens: prompts[0]!.length + prompts[1]!.length + rows.reduce((s, r) => s + r.tokenIds.length, 0),
    });
  });

  it("defaults max_tokens to 16, echoes the prompt on request", async () => {
    const reply = await client.completions.create({
      model: MODEL,
      prompt: "Hello",
      seed: 8,
      temperature: 0.5,
      echo: true,
    });
    expect(reply.usage!.completion_tokens).toBeLessThanOrEqual(16);
    const { sequence, choice } = expectedRow(tokenizer.encode("Hello"), {
      temperature: 0.5,
      topP: 1,
      maxTokens: 16,
      seed: 8,
    });
    expect(reply.choices[0]!.text).toBe(`Hello${choice.text}`);
    expect(reply.usage!.completion_tokens).toBe(sequence.tokenIds.length);
  });

  it("cuts at a stop string", async () => {
    const settings = { model: MODEL, prompt: "The quick brown", max_tokens: 40, seed: 13 };
    const free = (await client.completions.create(settings)).choices[0]!.text;
    const stop = pickStop(free);
    const cut = await client.completions.create({ ...settings, stop });
    expect(cut.choices[0]!.text).toBe(free.slice(0, free.indexOf(stop)));
    expect(cut.choices[0]!.finish_reason).toBe("stop");
  });

  it("returns legacy log-probs consistent with the tokens and text", async () => {
    const reply = await client.completions.create({
      model: MODEL,
      prompt: "Hello",
      max_tokens: 9,
      seed: 6,
      logprobs: 3,
    });
    const { sequence, choice } = expectedRow(tokenizer.encode("Hello"), {
      temperature: 1,
      topP: 1,
      maxTokens: 9,
      seed: 6,
    });
    const lp = reply.choices[0]!.logprobs!;
    expect(lp.token_logprobs).toEqual(sequence.logProbs);
    expect(lp.tokens).toEqual(sequence.tokenIds.map((id) => tokenizer.decode([id])));
    expect(lp.text_offset).toEqual([0, ...choice.ends.slice(0, -1)]);
    for (let i = 1; i < lp.text_offset!.length; i++)
      expect(lp.text_offset![i]!).toBeGreaterThanOrEqual(lp.text_offset![i - 1]!);
    expect(lp.top_logprobs).toHaveLength(sequence.tokenIds.length);
    for (const tops of lp.top_logprobs!) {
      const values = Object.values(tops);
      expect(values.length).toBeGreaterThanOrEqual(1);
      expect(values.length).toBeLessThanOrEqual(3);
      expect(values.every((v) => Number.isFinite(v) && v <= 0)).toBe(true);
    }
  });

  it("streams text that adds up to the non-streamed text", async () => {
    const settings = { model: MODEL, prompt: "Hello world", max_tokens: 14, seed: 31, echo: true };
    const whole = await client.completions.create(settings);
    const stream = await client.completions.create({ ...settings, stream: true });
    let text = "";
    let finish: string | null = null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.text ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(text).toBe(whole.choices[0]!.text);
    expect(finish).toBe(whole.choices[0]!.finish_reason);
  });
});

describe("batching", () => {
  it("answers 32 concurrent requests correctly in shared generate calls", async () => {
    const before = calls.length;
    const prompts = Array.from({ length: 32 }, (_, i) => `Hello ${i} world`);
    const replies = await Promise.all(
      prompts.map((prompt) =>
        client.completions.create({ model: MODEL, prompt, max_tokens: 5, temperature: 0.7 }),
      ),
    );
    const batches = calls.slice(before);
    expect(batches.reduce((rows, c) => rows + c.prompts.length, 0)).toBe(32);
    expect(batches.length).toBeLessThan(32);
    expect(Math.max(...batches.map((c) => c.prompts.length))).toBeGreaterThan(1);
    replies.forEach((reply, i) => {
      const ids = tokenizer.encode(prompts[i]!);
      const call = batches.find((c) => c.prompts.some((p) => p.join() === ids.join()))!;
      const row = call.prompts.findIndex((p) => p.join() === ids.join());
      expect(reply.choices[0]!.text).toBe(choiceText(call.sequences[row]!, tokenizer, []).text);
      expect(reply.usage!.completion_tokens).toBe(call.sequences[row]!.tokenIds.length);
    });
  });

  it("keeps a seeded request's output whatever it is batched with", async () => {
    const seeded = { model: MODEL, prompt: "The quick brown fox", max_tokens: 8, seed: 77 };
    const alone = await client.completions.create(seeded);
    const crowd = await Promise.all([
      client.completions.create({ model: MODEL, prompt: "Hello", max_tokens: 8 }),
      client.completions.create({ model: MODEL, prompt: "The quick brown fox", max_tokens: 8, seed: 78 }),
      client.completions.create(seeded),
      client.completions.create({ model: MODEL, prompt: "Code execution", max_tokens: 8 }),
    ]);
    expect(crowd[2]!.choices[0]!.text).toBe(alone.choices[0]!.text);
    expect(crowd[2]!.usage).toEqual(alone.usage);
  });
});

describe("errors", () => {
  const raw = (path: string, init?: RequestInit) => fetch(baseURL.replace(/\/v1$/, "") + path, init);
  const post = (path: string, body: string) =>
    raw(path, { method: "POST", body, headers: { "content-type": "application/json" } });

  it("404 model_not_found for another model name", async () => {
    const error = await client.chat.completions
      .create({ model: "gpt-4o", messages: userMessages })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect((error as InstanceType<typeof OpenAI.NotFoundError>).code).toBe("model_not_found");
  });

  it("400 for bad JSON, wrong types and out-of-range values, naming the field", async () => {
    const badJson = await post("/v1/chat/completions", "{not json");
    expect(badJson.status).toBe(400);
    expect(await badJson.json()).toMatchObject({
      error: { type: "invalid_request_error", code: "invalid_json" },
    });
    const cases: [string, unknown, string | null][] = [
      ["/v1/chat/completions", { model: MODEL, messages: userMessages, temperature: "hot" }, "temperature"],
      ["/v1/chat/completions", { model: MODEL, messages: [] }, "messages"],
      [
        "/v1/chat/completions",
        { model: MODEL, messages: [{ role: "robot", content: "x" }] },
        "messages.0.role",
      ],
      ["/v1/chat/completions", { model: MODEL, messages: userMessages, n: 0 }, "n"],
      ["/v1/chat/completions", { model: MODEL, messages: userMessages, top_p: 0 }, "top_p"],
      ["/v1/chat/completions", { model: MODEL, messages: userMessages, stop: [""] }, "stop.0"],
      ["/v1/chat/completions", { model: MODEL, messages: userMessages, top_logprobs: 21 }, "top_logprobs"],
      ["/v1/completions", { model: MODEL, prompt: 5 }, "prompt"],
      ["/v1/completions", { model: MODEL }, "prompt"],
      ["/v1/completions", { model: MODEL, prompt: "" }, "prompt"],
      ["/v1/completions", [1, 2], null],
      ["/v1/completions", { model: MODEL, prompt: "x", max_tokens: 1.5 }, "max_tokens"],
      ["/v1/completions", { model: MODEL, prompt: "x", echo: true, logprobs: 1 }, "echo"],
    ];
    for (const [path, body, param] of cases) {
      const response = await post(path, JSON.stringify(body));
      expect(response.status, JSON.stringify(body)).toBe(400);
      const json = (await response.json()) as {
        error: { message: string; type: string; param: string | null };
      };
      expect(json.error.type).toBe("invalid_request_error");
      expect(json.error.param, JSON.stringify(body)).toBe(param);
      expect(json.error.message.length).toBeGreaterThan(10);
    }
  });

  it("400 for a prompt beyond the context and for too many tokens", async () => {
    const long = "Hello world ".repeat(200);
    const tooLong = await client.completions
      .create({ model: MODEL, prompt: long, max_tokens: 1 })
      .catch((e: unknown) => e);
    expect(tooLong).toBeInstanceOf(OpenAI.BadRequestError);
    expect((tooLong as InstanceType<typeof OpenAI.BadRequestError>).code).toBe("context_length_exceeded");
    const overflow = await client.completions
      .create({ model: MODEL, prompt: "Hello", max_tokens: 95 })
      .catch((e: unknown) => e);
    expect((overflow as InstanceType<typeof OpenAI.BadRequestError>).param).toBe("max_tokens");
    // 30 sequences × 80 tokens = 2400 > maxRequestTokens 2000.
    const tooMany = await client.completions
      .create({ model: MODEL, prompt: "Hello", max_tokens: 80, n: 30 })
      .catch((e: unknown) => e);
    expect(tooMany).toBeInstanceOf(OpenAI.BadRequestError);
    expect((tooMany as InstanceType<typeof OpenAI.BadRequestError>).message).toContain("2400");
    const tooWide = await client.completions
      .create({ model: MODEL, prompt: "Hello", max_tokens: 1, n: 33 })
      .catch((e: unknown) => e);
    expect((tooWide as InstanceType<typeof OpenAI.BadRequestError>).param).toBe("n");
  });

  it("404 for unknown paths, 405 for wrong methods", async () => {
    const missing = await raw("/v1/embeddings", { method: "POST", body: "{}" });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { type: "not_found_error" } });
    const wrong = await raw("/v1/chat/completions");
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("allow")).toBe("POST");
    expect(await wrong.json()).toMatchObject({ error: { code: "method_not_allowed" } });
  });

  it("still serves after all of that", async () => {
    const reply = await client.chat.completions.create({
      model: MODEL,
      messages: userMessages,
      max_tokens: 3,
      seed: 1,
    });
    expect(reply.choices).toHaveLength(1);
  });
});

describe("internal errors", () => {
  it("answers 500 when generate fails and keeps serving", async () => {
    let fail = true;
    const failing = createPolicyServer({
      model,
      tokenizer,
      modelName: MODEL,
      generate: (m, prompts, options) => {
        if (fail) throw new Error("simulated device failure");
        return generate(m, prompts, options);
      },
    });
    const { url } = await failing.listen(0);
    const local = new OpenAI({ baseURL: url, apiKey: "unused", maxRetries: 0 });
    try {
      const error = await local.completions
        .create({ model: MODEL, prompt: "Hello", max_tokens: 2 })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OpenAI.InternalServerError);
      expect((error as Error).message).toContain("simulated device failure");
      fail = false;
      const reply = await local.completions.create({ model: MODEL, prompt: "Hello", max_tokens: 2 });
      expect(reply.choices).toHaveLength(1);
    } finally {
      await failing.close();
    }
  });
});

/** A two-character stop string that first occurs after the start of `text` (no replacement characters). */
function pickStop(text: string): string {
  for (let at = 2; at + 2 <= text.length; at++) {
    const candidate = text.slice(at, at + 2);
    if (!candidate.includes("\uFFFD") && text.indexOf(candidate) === at) return candidate;
  }
  throw new Error(`no usable stop string in ${JSON.stringify(text)}`);
}
