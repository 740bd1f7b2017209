import type { PolicyRequest } from "@hdpo/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { OpenAICompletionsPolicy } from "./openai-completions-policy";
import {
  charTokenizer,
  createTestOpenAIServer,
  defaultLogProb,
  type TestOpenAIServer,
} from "./test-openai-server/index";

let server: TestOpenAIServer;
let baseURL: string;

beforeEach(async () => {
  server = createTestOpenAIServer({ models: ["qwen-test"] });
  baseURL = await server.listen();
});
afterEach(() => server.close());

const request: PolicyRequest = {
  messages: [
    { role: "system", content: "S" },
    { role: "user", content: "Q" },
    { role: "assistant", content: '<tool_call>{"name":"python"}</tool_call>' },
    { role: "tool", content: "42" },
  ],
  sampling: { maxTokens: 100, temperature: 1 },
};
const PROMPT =
  "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nQ<|im_end|>\n" +
  '<|im_start|>assistant\n<tool_call>{"name":"python"}</tool_call><|im_end|>\n' +
  "<|im_start|>user\n42<|im_end|>\n<|im_start|>assistant\n";
const posts = () => server.requests.filter((r) => r.path === "/completions");

describe("OpenAICompletionsPolicy", () => {
  it("renders the Qwen template (tool → observation user turn), asks logprobs: 1, and re-encodes token ids", async () => {
    server.enqueueReplies({ text: "<answer>42</answer>" });
    const policy = new OpenAICompletionsPolicy({ baseURL, tokenizer: charTokenizer });
    const turn = await policy.generate(request);
    expect(posts()[0]!.body).toMatchObject({
      prompt: PROMPT,
      logprobs: 1,
      stop: ["</tool_call>"],
      max_tokens: 100,
    });
    // Without promptTokenIds nothing asks for ids by name: a request as before, for servers that refuse the field.
    expect(posts()[0]!.body).not.toHaveProperty("return_tokens_as_token_ids");
    expect(turn.text).toBe("<answer>42</answer>");
    expect(turn.tokenIds).toEqual(charTokenizer.encode("<answer>42</answer>"));
    expect(turn.logProbs).toEqual(turn.tokenIds!.map((_, i) => defaultLogProb(i)));
  });

  it("sends token-id prompts and reads token_id:<n> names, keeping a stripped stop string's tokens", async () => {
    server.enqueueReplies({ text: "<tool_call>{}</tool_call>junk" });
    const policy = new OpenAICompletionsPolicy({
      baseURL,
      model: "qwen-test",
      tokenizer: charTokenizer,
      promptAsTokenIds: true,
      returnTokensAsTokenIds: true,
    });
    const turn = await policy.generate(request);
    expect(posts()[0]!.body).toMatchObject({
      prompt: charTokenizer.encode(PROMPT),
      return_tokens_as_token_ids: true,
    });
    expect(turn.text).toBe("<tool_call>{}</tool_call>");
    // 25 characters = 25 tokens, including the 12 of "</tool_call>" that the server cut from its text.
    expect(turn.tokenIds).toEqual(charTokenizer.encode("<tool_call>{}</tool_call>"));
    expect(turn.logProbs).toHaveLength(25);
    expect(turn.finishReason).toBe("stop");
  });

  it("refuses to guess a token id that does not re-encode to exactly one id", async () => {
    const pairTokenizer = {
      encode: (t: string) => [...charTokenizer.encode(t), 0],
      decode: charTokenizer.decode,
    };
    const policy = new OpenAICompletionsPolicy({ baseURL, model: "qwen-test", tokenizer: pairTokenizer });
    await expect(policy.generate(request)).rejects.toMatchObject({
      code: "bad-response",
      message: expect.stringMatching(/re-encodes to 2 ids.*returnTokensAsTokenIds/),
    });
  });

  it("refuses a token_id name whose id is not a safe integer rather than round it into another token", async () => {
    const huge = 2 ** 60;
    server.enqueueReplies({ text: charTokenizer.decode([huge]), tokenIds: [huge] });
    const policy = new OpenAICompletionsPolicy({ baseURL, model: "qwen-test", tokenizer: charTokenizer });
    await expect(policy.generate({ ...request, promptTokenIds: [1, 2] })).rejects.toMatchObject({
      code: "bad-response",
      message: expect.stringMatching(/"token_id:\d{19}", whose id is not an integer/),
    });
  });

  it("rejects images and native tools, which /completions cannot carry", async () => {
    const policy = new OpenAICompletionsPolicy({ baseURL, model: "qwen-test", tokenizer: charTokenizer });
    const withImage: PolicyRequest = {
      ...request,
      messages: [{ role: "user", content: [{ type: "image", image: "data:image/png;base64,AA==" }] }],
    };
    await expect(policy.generate(withImage)).rejects.toThrow(/cannot send images/);
    await expect(policy.generate({ ...request, tools: [{}] })).rejects.toThrow(/text tool protocol only/);
    expect(server.requests).toHaveLength(0);
  });

  it("reports length when max_tokens cut the turn", async () => {
    server.enqueueReplies({ text: "abcdef" });
    const policy = new OpenAICompletionsPolicy({ baseURL, model: "qwen-test", tokenizer: charTokenizer });
    const turn = await policy.generate({ ...request, sampling: { maxTokens: 4 } });
    expect(turn).toMatchObject({ text: "abcd", finishReason: "length", tokenIds: [97, 98, 99, 100] });
  });
});
