import type { Message, Task, Trajectory } from "@hdpo/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { renderQwenChat } from "./chat-template";
import { OpenAICompletionsPolicy, type OpenAICompletionsPolicyOptions } from "./openai-completions-policy";
import { runTrajectory } from "./rollout-trajectory";
import {
  charTokenizer,
  createTestOpenAIServer,
  MULTI_CHAR_TOKENS,
  type RecordedRequest,
  type TestOpenAIServer,
} from "./test-openai-server/index";
import { InProcessTools } from "./test-support/in-process-tools";

// Remote rollouts for training (issue: token-exact remote rollouts): a multi-turn tool conversation against an
// OpenAI-compatible server that returns token ids (vLLM's return_tokens_as_token_ids) and log-probs. The trajectory
// trained on must be the one sampled: each turn's prompt continues the previous prompt's exact ids with the sampled
// ids and the observation's ids, never a re-rendered, re-tokenised chat. The scripted model samples multi-char
// tokens that the tokenizer's canonical encoding never produces, as a real model may: re-tokenising its text loses
// them, which is what makes the positive control able to fail.

let server: TestOpenAIServer;
let baseURL: string;

beforeEach(async () => {
  server = createTestOpenAIServer({ models: ["policy"] });
  baseURL = await server.listen();
});
afterEach(() => server.close());

const task: Task = { id: "t1", question: "What is 6 times 7?", answer: "42" };
const OBSERVATION_OPEN = "<|im_start|>user\n<tool_response>";
const OBSERVATION_CLOSE = "</tool_response><|im_end|>\n<|im_start|>assistant\n";
const call = (code: string) => `<tool_call>{"name": "python", "arguments": {"code": "${code}"}}</tool_call>`;

/** What the model writes each turn; the server cuts the first two at `</tool_call>`, as vLLM does. */
const TURNS = [
  `<reason>compute</reason>${call("print(6*7)")}ignored`,
  `<reason>check</reason>${call("print(42 == 6*7)")}`,
  "<answer>42</answer>",
];
const OBSERVATIONS = ["42\n", "True\n"];

/** The ids the scripted model samples for `text`: a multi-char token wherever one fits, else one per character. */
function sampledIds(text: string): number[] {
  const ids: number[] = [];
  let at = 0;
  next: while (at < text.length) {
    for (const [id, piece] of MULTI_CHAR_TOKENS) {
      if (text.startsWith(piece, at)) {
        ids.push(id);
        at += piece.length;
        continue next;
      }
    }
    ids.push(text.charCodeAt(at));
    at += 1;
  }
  return ids;
}

/** The caller's encoders, as the trainer's chat encoding: the prompt rendered once, observations on their own. */
const encodePrompt = (messages: readonly Message[]): number[] =>
  charTokenizer.encode(renderQwenChat(messages));
const encodeObservation = (text: string): number[] =>
  charTokenizer.encode(`${OBSERVATION_OPEN}${text}${OBSERVATION_CLOSE}`);

const completions = (): RecordedRequest[] => server.requests.filter((r) => r.path === "/completions");
/** What the server sampled for a request: its token ids and log-probs. */
const sampledBy = (request: RecordedRequest) => ({
  ids: request.generation!.tokens.map((t) => t.id),
  logProbs: request.generation!.tokens.map((t) => t.logProb),
});

/** One three-turn rollout (two Python calls, then the answer) with the scripted turns above. */
async function rolloutScripted(
  policyOptions: Partial<OpenAICompletionsPolicyOptions>,
  recordIds: boolean,
): Promise<{ trajectory: Trajectory; observationIds: number[][] }> {
  server.enqueueReplies(...TURNS.map((text) => ({ text, tokenIds: sampledIds(text) })));
  const policy = new OpenAICompletionsPolicy({
    baseURL,
    model: "policy",
    tokenizer: charTokenizer,
    ...policyOptions,
  });
  let calls = 0;
  const tools = new InProcessTools(() => ({ text: OBSERVATIONS[calls++]!, valid: true, done: false }));
  const observationIds: number[][] = [];
  const trajectory = await runTrajectory(task, {
    policy,
    tools,
    systemPrompt: "Use tools when needed.",
    maxTurns: 3,
    ...(recordIds
      ? {
          encodePrompt,
          encodeObservation: (text: string) => {
            const ids = encodeObservation(text);
            observationIds.push(ids);
            return ids;
          },
        }
      : {}),
  });
  expect(trajectory.finishReason).toBe("answer");
  expect(completions()).toHaveLength(3);
  return { trajectory, observationIds };
}

describe("token-exact rollouts over OpenAI-compatible completions", () => {
  it("records exactly the ids the server sampled and continues each turn from the previous prompt's exact ids", async () => {
    // No returnTokensAsTokenIds: asking for ids by name is the default once the loop records ids.
    const { trajectory, observationIds } = await rolloutScripted({}, true);
    const requests = completions();
    for (const request of requests) {
      expect(request.body).toMatchObject({ return_tokens_as_token_ids: true, logprobs: 1 });
    }
    const [s1, s2, s3] = requests.map(sampledBy);
    const [o1, o2] = observationIds;
    expect(observationIds.map((ids) => charTokenizer.decode(ids))).toEqual(
      OBSERVATIONS.map((text) => `${OBSERVATION_OPEN}${text}${OBSERVATION_CLOSE}`),
    );
    // The server sampled the multi-char tokens (the first turn up to its stop string, which vLLM keeps in the ids),
    // and those ids are not the canonical encoding of the turn's text.
    const firstTurn = TURNS[0]!.slice(0, TURNS[0]!.indexOf("</tool_call>") + "</tool_call>".length);
    expect(s1!.ids).toEqual(sampledIds(firstTurn));
    expect(s1!.ids).toContain(0x10001);
    expect(charTokenizer.encode(charTokenizer.decode(s1!.ids))).not.toEqual(s1!.ids);

    // (a) The trajectory trained on is what was sampled, turn by turn, with the observations' ids in between.
    const tokens = trajectory.tokens!;
    expect(tokens.ids).toEqual([...s1!.ids, ...o1!, ...s2!.ids, ...o2!, ...s3!.ids]);
    expect(tokens.logProbs).toEqual([
      ...s1!.logProbs,
      ...o1!.map(() => 0),
      ...s2!.logProbs,
      ...o2!.map(() => 0),
      ...s3!.logProbs,
    ]);
    expect(tokens.lossMask).toEqual([
      ...s1!.ids.map(() => 1),
      ...o1!.map(() => 0),
      ...s2!.ids.map(() => 1),
      ...o2!.map(() => 0),
      ...s3!.ids.map(() => 1),
    ]);

    // (b) Each prompt went out as ids: the first the rendered prompt, each later one exactly the previous prompt,
    // the previous turn's sampled ids and the observation's ids.
    const [p1, p2, p3] = requests.map((r) => r.body!.prompt as number[]);
    expect(p1).toEqual(tokens.promptIds);
    expect(p2).toEqual([...p1!, ...s1!.ids, ...o1!]);
    expect(p3).toEqual([...p2!, ...s2!.ids, ...o2!]);
  });

  it("positive control: the text path conditions later turns on a re-tokenisation, not on the sampled ids", async () => {
    const { trajectory } = await rolloutScripted({}, true);
    const idsPath = completions().map((r) => r.body!.prompt as number[]);
    const sampledFirst = sampledBy(completions()[0]!).ids;
    // Same text, other tokens: re-encoding the exact conversation the second turn saw loses the sampled merges.
    const conversation = idsPath[1]!;
    expect(charTokenizer.encode(charTokenizer.decode(conversation))).not.toEqual(conversation);
    expect(containsRun(conversation, sampledFirst)).toBe(true);

    // The policy as it was before promptTokenIds: the same rollout, the chat rendered and sent as text each turn
    // (sampled ids still read by name).
    server.requests.length = 0;
    const textPath = await rolloutScripted({ returnTokensAsTokenIds: true }, false);
    expect(textPath.trajectory.tokens).toBeUndefined();
    const [t1, t2] = completions();
    expect(typeof t2!.body!.prompt).toBe("string");
    // The server tokenises that text canonically: the turn-1 ids the model sampled are nowhere in the second
    // prompt, so the second turn was conditioned on other tokens than training would see.
    const serverSide = charTokenizer.encode(t2!.body!.prompt as string);
    expect(sampledBy(t1!).ids).toEqual(sampledFirst);
    expect(containsRun(serverSide, sampledFirst)).toBe(false);
    expect(serverSide).not.toEqual(conversation);
    expect(trajectory.tokens!.ids.slice(0, sampledFirst.length)).toEqual(sampledFirst);
  });

  it("falls back to re-encoding token strings when ids are not asked by name, and says so when that fails", async () => {
    server.enqueueReplies({ text: "print(1)", tokenIds: sampledIds("print(1)") });
    const policy = new OpenAICompletionsPolicy({
      baseURL,
      model: "policy",
      tokenizer: charTokenizer,
      returnTokensAsTokenIds: false,
    });
    const request = {
      messages: [{ role: "user" as const, content: "Q" }],
      sampling: { maxTokens: 16, temperature: 1 },
      promptTokenIds: [81],
    };
    // "print" came back as one token string, which re-encodes to five ids: refused, not guessed.
    await expect(policy.generate(request)).rejects.toMatchObject({
      code: "bad-response",
      message: expect.stringMatching(/"print" re-encodes to 5 ids.*returnTokensAsTokenIds/),
    });
    expect(completions()[0]!.body).not.toHaveProperty("return_tokens_as_token_ids");
    expect(completions()[0]!.body!.prompt).toEqual([81]);
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

/** Whether `run` occurs contiguously in `ids` (a linear scan per start: the arrays here are short). */
function containsRun(ids: readonly number[], run: readonly number[]): boolean {
  for (let start = 0; start + run.length <= ids.length; start++) {
    let i = 0;
    while (i < run.length && ids[start + i] === run[i]) i++;
    if (i === run.length) return true;
  }
  return false;
}
