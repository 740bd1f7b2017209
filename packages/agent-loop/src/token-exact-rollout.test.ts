import type { Message, Policy, PolicyRequest, Task } from "@hdpo/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { renderQwenChat } from "./chat-template";
import { OpenAICompletionsPolicy } from "./openai-completions-policy";
import { runTrajectory } from "./rollout-trajectory";
import { charTokenizer, createTestOpenAIServer, type TestOpenAIServer } from "./test-openai-server/index";
import { InProcessTools } from "./test-support/in-process-tools";

// Remote rollouts for training (issue: token-exact remote rollouts): a multi-turn tool conversation against an
// OpenAI-compatible server that returns token ids (vLLM's return_tokens_as_token_ids) and log-probs. The trajectory
// trained on must be the one sampled: each turn's prompt continues the previous prompt's exact ids with the sampled
// ids and the observation's ids, never a re-rendered, re-tokenised chat.

let server: TestOpenAIServer;
let baseURL: string;

beforeEach(async () => {
  server = createTestOpenAIServer({ models: ["policy"] });
  baseURL = await server.listen();
});
afterEach(() => server.close());

const task: Task = { id: "t1", question: "What is 6 times 7?", answer: "42" };
const CALL = '<tool_call>{"name": "python", "arguments": {"code": "print(6*7)"}}</tool_call>';
const OBSERVATION_OPEN = "<|im_start|>user\n<tool_response>";
const OBSERVATION_CLOSE = "</tool_response><|im_end|>\n<|im_start|>assistant\n";

/** The caller's encoders, as the trainer's chat encoding: the prompt rendered once, observations on their own. */
const encodePrompt = (messages: readonly Message[]): number[] =>
  charTokenizer.encode(renderQwenChat(messages));
const encodeObservation = (text: string): number[] =>
  charTokenizer.encode(`${OBSERVATION_OPEN}${text}${OBSERVATION_CLOSE}`);

const completions = () => server.requests.filter((r) => r.path === "/completions");

describe("token-exact rollouts over OpenAI-compatible completions", () => {
  it("records exactly the sampled ids and continues each turn from the previous turn's exact ids", async () => {
    // The model says more after the tool call: the server cuts at the stop string, as vLLM does.
    server.enqueueReplies(
      { text: `<reason>compute</reason>${CALL}ignored` },
      { text: "<answer>42</answer>" },
    );
    const policy = new OpenAICompletionsPolicy({
      baseURL,
      model: "policy",
      tokenizer: charTokenizer,
      returnTokensAsTokenIds: true,
    });
    const requests: PolicyRequest[] = [];
    const recording: Policy = {
      name: policy.name,
      generate: (request) => {
        requests.push(request);
        return policy.generate(request);
      },
    };
    const tools = new InProcessTools(() => ({ text: "42\n", valid: true, done: false }));
    const trajectory = await runTrajectory(task, {
      policy: recording,
      tools,
      encodePrompt,
      encodeObservation,
      systemPrompt: "Use tools when needed.",
      maxTurns: 2,
    });
    expect(trajectory.finishReason).toBe("answer");
    const [first, second] = completions();
    expect(completions()).toHaveLength(2);
    expect(first!.body).toMatchObject({ return_tokens_as_token_ids: true, logprobs: 1 });

    // What the server sampled, per turn: its token_id:<n> names.
    const sampled1 = charTokenizer.encode(`<reason>compute</reason>${CALL}`);
    const sampled2 = charTokenizer.encode("<answer>42</answer>");
    const observation = trajectory.tokens!.ids.slice(sampled1.length, -sampled2.length);
    expect(trajectory.tokens!.ids).toEqual([...sampled1, ...observation, ...sampled2]);
    expect(trajectory.tokens!.lossMask).toEqual([
      ...sampled1.map(() => 1),
      ...observation.map(() => 0),
      ...sampled2.map(() => 1),
    ]);
    // The log-probs are the server's, one per sampled token; observations carry 0.
    expect(trajectory.tokens!.logProbs.slice(0, sampled1.length).every((lp) => lp < 0)).toBe(true);
    expect(trajectory.tokens!.logProbs.slice(sampled1.length, -sampled2.length).every((lp) => lp === 0)).toBe(
      true,
    );

    // Each prompt went out as ids: the first the rendered prompt, the second exactly first + sampled + observation.
    const prompt1 = first!.body!.prompt as number[];
    expect(prompt1).toEqual(trajectory.tokens!.promptIds);
    expect(second!.body!.prompt).toEqual([...prompt1, ...sampled1, ...observation]);

    // Positive control: re-rendering the conversation (what the policy did without the ids) conditions the second
    // turn on other tokens — the chat template closes the assistant turn and frames the tool message itself.
    const rerendered = charTokenizer.encode(renderQwenChat(requests[1]!.messages));
    expect(rerendered).not.toEqual(second!.body!.prompt);
  });

  it("refuses an empty or malformed id prompt in one line", async () => {
    const policy = new OpenAICompletionsPolicy({ baseURL, tokenizer: charTokenizer });
    const request = {
      messages: [{ role: "user" as const, content: "Q" }],
      sampling: { maxTokens: 4, temperature: 1 },
    };
    await expect(policy.generate({ ...request, promptTokenIds: [] })).rejects.toThrow(
      /promptTokenIds must be a non-empty list of token ids/,
    );
    await expect(policy.generate({ ...request, promptTokenIds: [1, -2] })).rejects.toThrow(
      /promptTokenIds must be a non-empty list of token ids/,
    );
    expect(completions()).toHaveLength(0);
  });
});
