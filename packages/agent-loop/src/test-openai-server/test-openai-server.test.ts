import OpenAI from "openai";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestOpenAIServer, defaultLogProb, type TestOpenAIServer } from "./index";

let server: TestOpenAIServer;
let client: OpenAI;

beforeEach(async () => {
  server = createTestOpenAIServer();
  client = new OpenAI({ baseURL: await server.listen(), apiKey: "EMPTY", maxRetries: 0 });
});
afterEach(() => server.close());

const messages = [{ role: "user" as const, content: "hi" }];

describe("test OpenAI server, through the real openai client", () => {
  it("streams chat chunks over SSE whose deltas add up to the non-streamed answer", async () => {
    const reply = { text: "Hello <tool_call>{}</tool_call> bye" };
    server.enqueueReplies(reply, reply);
    const args = { model: "test-model", messages, stop: ["</tool_call>"], logprobs: true };
    const whole = await client.chat.completions.create(args);
    const stream = await client.chat.completions.create({
      ...args,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let finish: string | null = null;
    const logprobs: number[] = [];
    let usage: unknown;
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      if (choice?.delta.content) text += choice.delta.content;
      if (choice?.finish_reason) finish = choice.finish_reason;
      for (const entry of choice?.logprobs?.content ?? []) logprobs.push(entry.logprob);
      if (chunk.usage) usage = chunk.usage;
    }
    expect(whole.choices[0]!.message.content).toBe("Hello <tool_call>{}");
    expect(text).toBe("Hello <tool_call>{}");
    expect(finish).toBe("stop");
    // The stop string's 12 tokens were sampled, so both carry 19 + 12 = 31 log-probs.
    expect(logprobs).toEqual(whole.choices[0]!.logprobs!.content!.map((c) => c.logprob));
    expect(logprobs).toHaveLength(31);
    expect(usage).toMatchObject({ completion_tokens: 31 });
  });

  it("streams legacy completions and native tool calls", async () => {
    server.enqueueReplies(
      { text: "abc" },
      { text: "", toolCalls: [{ name: "search", arguments: '{"query":"x"}' }] },
    );
    const stream = await client.completions.create({
      model: "test-model",
      prompt: "p",
      logprobs: 1,
      stream: true,
    });
    const pieces: string[] = [];
    const tokens: string[] = [];
    for await (const chunk of stream) {
      pieces.push(chunk.choices[0]!.text);
      tokens.push(...(chunk.choices[0]!.logprobs?.tokens ?? []));
    }
    expect(pieces.join("")).toBe("abc");
    expect(tokens).toEqual(["a", "b", "c"]);
    const calls = await client.chat.completions.create({ model: "test-model", messages, stream: true });
    const deltas = [];
    for await (const chunk of calls) deltas.push(...(chunk.choices[0]?.delta.tool_calls ?? []));
    expect(deltas).toEqual([
      { index: 0, id: "call_0", type: "function", function: { name: "search", arguments: '{"query":"x"}' } },
    ]);
  });

  it("returns completions log-probs with token_id names on request", async () => {
    server.enqueueReplies({ text: "ab", logProbs: [-0.5, -1.5] });
    const reply = await client.completions.create({
      model: "test-model",
      prompt: [1, 2, 3],
      logprobs: 1,
      // @ts-expect-error vLLM extension
      return_tokens_as_token_ids: true,
    });
    expect(reply.choices[0]!.logprobs).toMatchObject({
      tokens: ["token_id:97", "token_id:98"],
      token_logprobs: [-0.5, -1.5],
    });
    expect(reply.usage?.prompt_tokens).toBe(3);
    expect(defaultLogProb(8)).toBeCloseTo(-0.2, 12); // (8 mod 7 + 1)/10
  });

  it("plays scripted failures: 429 with Retry-After, 500, reset, and an unknown model", async () => {
    server.failNext(
      { kind: "status", status: 429, retryAfter: "7" },
      { kind: "status", status: 500 },
      { kind: "reset" },
    );
    const e429 = await client.models.list().catch((e: unknown) => e);
    expect(e429).toBeInstanceOf(OpenAI.RateLimitError);
    expect((e429 as InstanceType<typeof OpenAI.RateLimitError>).headers.get("retry-after")).toBe("7");
    await expect(client.models.list()).rejects.toBeInstanceOf(OpenAI.InternalServerError);
    await expect(client.models.list()).rejects.toBeInstanceOf(OpenAI.APIConnectionError);
    await expect(client.chat.completions.create({ model: "nope", messages })).rejects.toBeInstanceOf(
      OpenAI.NotFoundError,
    );
    expect(server.requests.map((r) => r.outcome)).toEqual(["status", "status", "reset", "error"]);
  });
});
