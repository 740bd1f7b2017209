import type { PolicyRequest } from "@hdpo/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { OpenAIChatPolicy } from "./openai-chat-policy";
import { OpenAIPolicyError } from "./openai-policy-error";
import { createTestOpenAIServer, defaultLogProb, type TestOpenAIServer } from "./test-openai-server/index";

let server: TestOpenAIServer;
let baseURL: string;

beforeEach(async () => {
  server = createTestOpenAIServer({ models: ["qwen-test", "other"] });
  baseURL = await server.listen();
});
afterEach(() => server.close());

const ask = (content: PolicyRequest["messages"][number]["content"] = "What is 6*7?"): PolicyRequest => ({
  messages: [
    { role: "system", content: "Answer." },
    { role: "user", content },
  ],
  sampling: { maxTokens: 200, temperature: 0.7, topP: 0.9, seed: 3 },
});
const generations = () => server.requests.filter((r) => r.path === "/chat/completions");

describe("OpenAIChatPolicy", () => {
  it("passes </tool_call> as a stop string and puts it back when the server stripped it", async () => {
    const call = '<reason>Compute.</reason><tool_call>{"name":"python","arguments":{"code":"print(6*7)"}}';
    server.enqueueReplies({ text: `${call}</tool_call> trailing text the server never sends` });
    const policy = new OpenAIChatPolicy({ baseURL, model: "qwen-test" });
    const turn = await policy.generate(ask());
    expect(turn.text).toBe(`${call}</tool_call>`);
    expect(turn.finishReason).toBe("stop");
    expect(generations()[0]!.body!.stop).toEqual(["</tool_call>"]);
  });

  it("leaves the text alone when the turn ended on EOS, on length, or on another stop string", async () => {
    const policy = new OpenAIChatPolicy({ baseURL, model: "qwen-test" });
    server.enqueueReplies(
      { text: "<answer>42</answer>" },
      { text: "<tool_call>{" + '"x"'.repeat(50), finishReason: "stop" },
      { text: "<tool_call>{STOP}" },
    );
    expect((await policy.generate(ask())).text).toBe("<answer>42</answer>");
    const cut = await policy.generate({ ...ask(), sampling: { maxTokens: 5 } });
    // max_tokens 5 → the first 5 characters of the scripted text, finish "length", nothing appended.
    expect(cut).toMatchObject({ text: "<tool", finishReason: "length" });
    const other = await policy.generate({ ...ask(), sampling: { maxTokens: 50, stop: ["STOP"] } });
    expect(other.text).toBe("<tool_call>{");
    expect(generations()[2]!.body!.stop).toEqual(["STOP", "</tool_call>"]);
  });

  it("discovers the model from /models once (first id) and caches it", async () => {
    const policy = new OpenAIChatPolicy({ baseURL });
    expect(await policy.model()).toBe("qwen-test");
    await policy.generate(ask());
    await policy.generate(ask());
    expect(server.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      "GET /models",
      "POST /chat/completions",
      "POST /chat/completions",
    ]);
    expect(generations().map((r) => r.body!.model)).toEqual(["qwen-test", "qwen-test"]);
  });

  it("sends images as data-URI image_url parts, byte for byte", async () => {
    const png = `data:image/png;base64,${Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 37) % 256)).toString("base64")}`;
    const policy = new OpenAIChatPolicy({ baseURL, model: "qwen-test" });
    await policy.generate(
      ask([
        { type: "text", text: "Look:" },
        { type: "image", image: png },
        { type: "text", text: "What is it?" },
      ]),
    );
    const body = generations()[0]!.body!;
    expect((body.messages as unknown[])[1]).toEqual({
      role: "user",
      content: [
        { type: "text", text: "Look:" },
        { type: "image_url", image_url: { url: png } },
        { type: "text", text: "What is it?" },
      ],
    });
    expect(body).toMatchObject({ max_tokens: 200, temperature: 0.7, top_p: 0.9, seed: 3, logprobs: true });
  });

  it("returns log-probs, and token ids only when the server names tokens by id", async () => {
    server.enqueueReplies({ text: "abc" }, { text: "ab" });
    const plain = new OpenAIChatPolicy({ baseURL, model: "qwen-test" });
    const turn = await plain.generate(ask());
    expect(turn.logProbs).toEqual([defaultLogProb(0), defaultLogProb(1), defaultLogProb(2)]); // -0.1, -0.2, -0.3
    expect(turn.tokenIds).toBeUndefined();
    const withIds = new OpenAIChatPolicy({ baseURL, model: "qwen-test", requestTokenIds: true });
    const turn2 = await withIds.generate(ask());
    expect(turn2.tokenIds).toEqual([97, 98]); // "a", "b" as char codes
    expect(generations()[1]!.body!.return_tokens_as_token_ids).toBe(true);
  });

  it("keeps the token ids and log-probs of a stripped </tool_call> (vLLM keeps the sampled tokens)", async () => {
    server.enqueueReplies({ text: "<tool_call>{}</tool_call>" });
    const policy = new OpenAIChatPolicy({ baseURL, model: "qwen-test", requestTokenIds: true });
    const turn = await policy.generate(ask());
    expect(turn.text).toBe("<tool_call>{}</tool_call>");
    expect(String.fromCharCode(...turn.tokenIds!)).toBe(turn.text);
    expect(turn.logProbs).toHaveLength(turn.text.length);
  });

  it("omits log-probs when logprobs is false", async () => {
    const policy = new OpenAIChatPolicy({ baseURL, model: "qwen-test", logprobs: false });
    const turn = await policy.generate(ask());
    expect(turn.logProbs).toBeUndefined();
    expect(generations()[0]!.body!.logprobs).toBeUndefined();
  });

  it("sends native tools, returns tool calls with parsed arguments, and adds no text stop string", async () => {
    const tools = [
      {
        type: "function",
        function: {
          name: "python",
          parameters: { type: "object", properties: { code: { type: "string" } } },
        },
      },
    ];
    server.enqueueReplies({
      text: "",
      toolCalls: [
        { id: "call_a", name: "python", arguments: '{"code":"print(6*7)"}' },
        { id: "call_b", name: "python", arguments: "{not json" },
      ],
    });
    const policy = new OpenAIChatPolicy({ baseURL, model: "qwen-test" });
    const turn = await policy.generate({ ...ask(), tools });
    expect(turn.finishReason).toBe("tool-call");
    expect(turn.toolCalls).toEqual([
      { id: "call_a", name: "python", arguments: { code: "print(6*7)" }, raw: '{"code":"print(6*7)"}' },
      { id: "call_b", name: "python", arguments: {}, raw: "{not json" },
    ]);
    expect(generations()[0]!.body!.tools).toEqual(tools);
    expect(generations()[0]!.body!.stop).toBeUndefined();
  });

  it("replays native tool calls of earlier turns as tool_calls, answered by tool messages", async () => {
    const policy = new OpenAIChatPolicy({ baseURL, model: "qwen-test" });
    await policy.generate({
      ...ask(),
      messages: [
        ...ask().messages,
        {
          role: "assistant",
          content: "",
          toolCalls: [
            { id: "call_a", name: "python", arguments: { code: "print(6*7)" }, raw: '{"code":"print(6*7)"}' },
          ],
        },
        { role: "tool", toolCallId: "call_a", content: "42" },
      ],
    });
    const sent = generations()[0]!.body!.messages as Record<string, unknown>[];
    expect(sent.slice(2)).toEqual([
      {
        role: "assistant",
        content: null,
        tool_calls: [
          {
            id: "call_a",
            type: "function",
            function: { name: "python", arguments: '{"code":"print(6*7)"}' },
          },
        ],
      },
      { role: "tool", tool_call_id: "call_a", content: "42" },
    ]);
  });

  it("turns a hanging server into a clear timeout error", async () => {
    server.failNext({ kind: "hang" });
    const policy = new OpenAIChatPolicy({ baseURL, model: "qwen-test", timeoutMs: 150, maxRetries: 0 });
    const error = await policy.generate(ask()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAIPolicyError);
    expect(error).toMatchObject({ code: "timeout", attempts: 1 });
    expect((error as Error).message).toMatch(/timed out .*Raise timeoutMs/);
  });

  it("rejects invalid sampling before sending anything", async () => {
    const policy = new OpenAIChatPolicy({ baseURL, model: "qwen-test" });
    await expect(policy.generate({ ...ask(), sampling: { maxTokens: 0 } })).rejects.toThrow(
      /sampling\.maxTokens/,
    );
    expect(server.requests).toHaveLength(0);
  });

  it("does not retry a 400 and reports it with its status", async () => {
    server.failNext({ kind: "status", status: 400, message: "bad field" });
    const policy = new OpenAIChatPolicy({ baseURL, model: "qwen-test", maxRetries: 3 });
    await expect(policy.generate(ask())).rejects.toMatchObject({
      code: "http-error",
      status: 400,
      attempts: 1,
    });
    expect(server.requests).toHaveLength(1);
  });
});
