import type { Policy, PolicyRequest, PolicyTurn } from "@hdpo/core";

/** What the script sees: the request and the 0-based generation index within the trajectory. */
export interface ScriptContext {
  request: PolicyRequest;
  /** Number of assistant messages already in the conversation. */
  step: number;
  /** Text of the first user message: lets one script serve many concurrent trajectories. */
  question: string;
}

/** A scripted turn: plain text (finishReason "stop"), a full `PolicyTurn`, or an Error to throw. */
export type ScriptedTurn = string | PolicyTurn | Error;

/**
 * A deterministic in-process `Policy` for tests and benchmarks: each turn comes from `script`. With
 * `stripStopStrings`, a turn ending in a requested stop string loses it, as OpenAI-compatible servers do. With
 * `charTokens`, every turn carries tokenIds = UTF-16 code units and logProbs = −0.5, and a turn longer than
 * `maxTokens` is cut with finishReason "length".
 */
export class ScriptedPolicy implements Policy {
  readonly name = "scripted";
  readonly requests: PolicyRequest[] = [];

  constructor(
    private readonly script: (context: ScriptContext) => ScriptedTurn | Promise<ScriptedTurn>,
    private readonly options: { stripStopStrings?: boolean; charTokens?: boolean; record?: boolean } = {},
  ) {}

  async generate(request: PolicyRequest): Promise<PolicyTurn> {
    if (this.options.record) this.requests.push(request);
    const step = request.messages.filter((m) => m.role === "assistant").length;
    const firstUser = request.messages.find((m) => m.role === "user");
    const question =
      firstUser === undefined
        ? ""
        : typeof firstUser.content === "string"
          ? firstUser.content
          : firstUser.content.map((p) => (p.type === "text" ? p.text : "")).join("");
    const scripted = await this.script({ request, step, question });
    if (scripted instanceof Error) throw scripted;
    let turn: PolicyTurn =
      typeof scripted === "string" ? { text: scripted, finishReason: "stop" } : { ...scripted };
    if (this.options.charTokens) {
      const limit = request.sampling.maxTokens;
      const cut = turn.text.length > limit;
      const text = cut ? turn.text.slice(0, limit) : turn.text;
      turn = {
        ...turn,
        text,
        finishReason: cut ? "length" : turn.finishReason,
        tokenIds: Array.from(text, (c) => c.charCodeAt(0)),
        logProbs: Array.from(text, () => -0.5),
      };
    }
    if (this.options.stripStopStrings && turn.finishReason === "stop") {
      for (const stop of request.sampling.stop ?? []) {
        if (turn.text.endsWith(stop)) turn = { ...turn, text: turn.text.slice(0, -stop.length) };
      }
    }
    return turn;
  }
}
