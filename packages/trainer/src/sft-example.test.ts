import { runTrajectory } from "@hdpo/agent-loop";
import type { Policy, PolicyRequest, PolicyTurn } from "@hdpo/core";
import { LocalPolicy, renderChat } from "@hdpo/policy";
import { useBackend } from "@hdpo/tensor";
import { InProcessToolExecutor } from "@hdpo/tools";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ChatEncoding, chatEncoding } from "./chat-encoding";
import { conversationMessages } from "./conversation";
import { sftExample } from "./sft-example";
import { type TinyPipeline, tinyPipeline } from "./test-fixtures";

/** Replays a demonstration's assistant turns with token ids as a token-level policy reports them. */
class ReplayPolicy implements Policy {
  readonly name = "replay";
  constructor(
    private readonly texts: string[],
    private readonly encoding: ChatEncoding,
  ) {}
  async generate(request: PolicyRequest): Promise<PolicyTurn> {
    const index = request.messages.filter((m) => m.role === "assistant").length;
    const text = this.texts[index]!;
    const final = index === this.texts.length - 1 && !text.includes("<tool_call>");
    // A final turn ends on the end-of-turn token, part of the ids but not of the text (as LocalPolicy reports).
    const tokenIds = [...this.encoding.encodeTurn(text), ...(final ? [this.encoding.endOfTurnId] : [])];
    return { text, finishReason: "stop", tokenIds, logProbs: tokenIds.map(() => -1) };
  }
}

describe("sftExample", () => {
  let pipeline: TinyPipeline;
  beforeAll(async () => {
    await useBackend("wasm");
    pipeline = await tinyPipeline(2);
  });
  afterAll(async () => {
    await pipeline?.runtime.shutdown();
  });

  it("gives exactly the tokens a rollout of the same turns records", async () => {
    const encoding = chatEncoding(pipeline.tokenizer);
    const tools = new InProcessToolExecutor(pipeline.runtime);
    let withObservation = 0;
    for (const demo of pipeline.demos) {
      const example = sftExample(demo.prompt, demo.trajectory.turns, encoding);
      const texts = demo.trajectory.turns.flatMap((t) => (t.role === "assistant" ? [t.text] : []));
      const replayed = await runTrajectory(demo.task, {
        policy: new ReplayPolicy(texts, encoding),
        tools,
        systemPrompt: pipeline.system,
        countTokens: encoding.countTokens,
        encodePrompt: encoding.encodePrompt,
        encodeObservation: encoding.encodeObservation,
      });
      expect(replayed.turns.map((t) => t.text)).toEqual(demo.trajectory.turns.map((t) => t.text));
      expect(replayed.tokens?.promptIds).toEqual(example.promptIds);
      expect(replayed.tokens?.ids).toEqual(example.ids);
      expect(replayed.tokens?.lossMask).toEqual(example.lossMask);

      // The whole sequence is the chat template of the conversation (without its final newline).
      const rendered = renderChat(conversationMessages(demo.prompt, demo.trajectory.turns));
      expect(pipeline.tokenizer.decode([...example.promptIds, ...example.ids])).toBe(rendered.slice(0, -1));
      // Loss only on what the model wrote: the decoded mask-1 tokens are the assistant texts plus <|im_end|>.
      const trained = example.ids.filter((_, i) => example.lossMask[i] === 1);
      expect(pipeline.tokenizer.decode(trained)).toBe(`${texts.join("")}<|im_end|>`);
      if (demo.trajectory.toolCalls > 0) {
        withObservation++;
        const observed = example.ids.filter((_, i) => example.lossMask[i] === 0);
        expect(pipeline.tokenizer.decode(observed)).toContain(demo.trajectory.turns[1]!.text);
      }
    }
    expect(withObservation).toBeGreaterThan(0);
  });

  it("matches the layout of a real LocalPolicy rollout at the text level", async () => {
    const encoding = chatEncoding(pipeline.tokenizer);
    const model = pipeline.createModel();
    const demo = pipeline.demos.find((d) => d.task.category === "direct")!;
    const trajectory = await runTrajectory(demo.task, {
      policy: new LocalPolicy({ model, tokenizer: pipeline.tokenizer, seed: 4 }),
      tools: new InProcessToolExecutor(pipeline.runtime),
      systemPrompt: pipeline.system,
      maxResponseTokens: 40,
      countTokens: encoding.countTokens,
      encodePrompt: encoding.encodePrompt,
      encodeObservation: encoding.encodeObservation,
    });
    model.dispose();
    const tokens = trajectory.tokens!;
    expect(tokens.promptIds).toEqual(encoding.encodePrompt(demo.prompt));
    expect(tokens.ids.length).toBe(tokens.lossMask.length);
    const rendered = renderChat(conversationMessages(demo.prompt, trajectory.turns));
    const decoded = pipeline.tokenizer.decode([...tokens.promptIds, ...tokens.ids]);
    // The sequence is the rendered chat up to where the model stopped (its end-of-turn id may be either EOS).
    expect(rendered.startsWith(decoded.replace(/(<\|im_end\|>|<\|endoftext\|>)$/, ""))).toBe(true);
  });

  it("refuses a demonstration without a model turn", () => {
    const encoding = chatEncoding(pipeline.tokenizer);
    expect(() => sftExample([{ role: "user", content: "hi" }], [], encoding)).toThrow(/no assistant text/);
  });
});
