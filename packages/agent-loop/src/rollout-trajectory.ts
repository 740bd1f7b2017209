import { randomUUID } from "node:crypto";
import type {
  FinishReason,
  Message,
  Observation,
  Task,
  ToolCall,
  ToolRequestExtra,
  Trajectory,
  Turn,
} from "@hdpo/core";
import { ResponseBudget } from "./budget";
import { emitEvent } from "./events";
import { InfrastructureError } from "./infrastructure-error";
import {
  approximateTokenCount,
  type CountTokens,
  failedObservation,
  observationMessage,
  truncateByCounting,
  truncateObservation,
} from "./observation";
import { policyOutage } from "./policy-outage";
import { AgentLoopError } from "./rollout-error";
import { type LoopLimits, resolveLimits, type TrajectoryOptions } from "./rollout-options";
import { buildPromptMessages, messagesText } from "./trajectory-prompt";
import {
  actionText,
  extractModelAnswer,
  nativeToolCallAction,
  parseToolCall,
  restoreToolCallStop,
  TOOL_CALL_CLOSE,
} from "./trajectory-text";
import { TrajectoryTokensBuilder } from "./trajectory-tokens";

/** The `error` of a trajectory ended by its AbortSignal. */
export const ABORTED_CAUSE = "aborted";

/** A fresh trajectory id: uuid4 hex, as the reference (also the tool-server session id). */
export function newTrajectoryId(): string {
  return randomUUID().replaceAll("-", "");
}

class AbortedSignal extends Error {}

/** One tool request of a turn: the text action and, for native tool calls, the id to answer. */
interface PendingCall {
  action: string;
  call: ToolCall;
  native?: { toolCallId: string; name: string };
}

/**
 * Runs one multi-turn rollout of `task` (metis-protocol.md §5): the policy writes a turn (stop `</tool_call>`),
 * a tool call is executed and its observation becomes the next user turn, until an answer, the token budget, the
 * turn limit, a tool's `done`, or an error. A failure of this trajectory (a policy error, an abort) ends it with
 * finishReason "error" and `error` set. An outage of a service it depends on is not the trajectory's failure and
 * has no result to score: it rejects with an {@link InfrastructureError} (the tool executor's, or the model
 * endpoint's per `policyOutage`). Otherwise it rejects only for invalid options. `tools.close(id)` is always awaited
 * before it settles (close errors are ignored).
 */
export async function runTrajectory(task: Task, options: TrajectoryOptions): Promise<Trajectory> {
  const limits = resolveLimits(options);
  if (typeof task?.id !== "string" || task.id.length === 0) {
    throw new AgentLoopError("task.id must be a non-empty string; give every task an id.");
  }
  const run = new TrajectoryRun(task, options, limits);
  return run.execute();
}

class TrajectoryRun {
  private readonly id: string;
  private readonly countTokens: CountTokens;
  private readonly budget: ResponseBudget;
  private readonly tokens = new TrajectoryTokensBuilder();
  /** The prompt's token ids when the caller encodes prompts (a token-level record is kept); undefined otherwise. */
  private promptIds: number[] | undefined;
  private readonly turns: Turn[] = [];
  private readonly modelTexts: string[] = [];
  private readonly responseParts: string[] = [];
  private readonly toolCallsByName: Record<string, number> = {};
  private toolCalls = 0;
  private invalidToolCalls = 0;
  private generationMs = 0;
  private toolMs = 0;
  private completionTokens = 0;
  private observationTokens = 0;
  private error: string | undefined;

  constructor(
    private readonly task: Task,
    private readonly options: TrajectoryOptions,
    private readonly limits: LoopLimits,
  ) {
    this.id = options.trajectoryId ?? newTrajectoryId();
    const count = options.countTokens ?? approximateTokenCount;
    this.countTokens = (text) => {
      const n = count(text);
      if (!Number.isInteger(n) || n < 0) {
        throw new AgentLoopError(`countTokens returned ${String(n)}; it must return a non-negative integer.`);
      }
      return n;
    };
    this.budget = new ResponseBudget(limits.maxResponseTokens, limits.maxActionTokens);
  }

  async execute(): Promise<Trajectory> {
    const startedAt = new Date().toISOString();
    const start = performance.now();
    const { task, options } = this;
    emitEvent(options.onEvent, {
      type: "trajectory-start",
      trajectoryId: this.id,
      taskId: task.id,
      rolloutIndex: options.rolloutIndex ?? 0,
    });
    const prompt = buildPromptMessages(task, options.systemPrompt);
    let finishReason: FinishReason;
    let promptIds: number[] = [];
    let outage: InfrastructureError | undefined;
    try {
      promptIds = options.encodePrompt?.(prompt) ?? [];
      if (options.encodePrompt !== undefined) this.promptIds = promptIds;
      finishReason = await this.loop(prompt.map((m) => ({ ...m })));
    } catch (error) {
      finishReason = "error";
      const aborted = options.signal?.aborted || error instanceof AbortedSignal;
      if (!aborted && error instanceof InfrastructureError) outage = error;
      this.error = aborted ? ABORTED_CAUSE : describe(error);
    } finally {
      try {
        await options.tools.close(this.id);
      } catch {
        // close is best effort: the reference's server answers 500 to it, and the trainer ignores that
      }
    }
    // An outage's message is this.error too: the event is the same either way.
    const emitEnd = () =>
      emitEvent(options.onEvent, {
        type: "trajectory-end",
        trajectoryId: this.id,
        taskId: task.id,
        finishReason,
        toolCalls: this.toolCalls,
        ...(this.error !== undefined ? { error: this.error } : {}),
      });
    if (outage !== undefined) {
      emitEnd();
      throw outage;
    }
    const trajectory: Trajectory = {
      id: this.id,
      taskId: task.id,
      groupId: options.groupId ?? task.id,
      rolloutIndex: options.rolloutIndex ?? 0,
      turns: this.turns,
      finalText: this.responseParts.join("\n"),
      toolCalls: this.toolCalls,
      toolCallsByName: this.toolCallsByName,
      invalidToolCalls: this.invalidToolCalls,
      finishReason,
      timings: {
        startedAt,
        totalMs: performance.now() - start,
        generationMs: this.generationMs,
        toolMs: this.toolMs,
      },
      usage: {
        promptTokens: options.encodePrompt
          ? promptIds.length
          : safeCount(this.countTokens, messagesText(prompt)),
        completionTokens: this.completionTokens,
        observationTokens: this.observationTokens,
      },
    };
    const answer = extractModelAnswer(this.modelTexts);
    if (answer !== undefined) trajectory.answer = answer;
    if (this.error !== undefined) trajectory.error = this.error;
    const tokens = this.tokens.build(promptIds);
    if (tokens !== undefined) trajectory.tokens = tokens;
    emitEnd();
    return trajectory;
  }

  private async loop(messages: Message[]): Promise<FinishReason> {
    const { options, limits } = this;
    for (let step = 0; ; step++) {
      this.throwIfAborted();
      const maxTokens = this.budget.nextTurnMaxTokens();
      if (maxTokens <= 0) return "max_tokens";
      const began = performance.now();
      let turn: Awaited<ReturnType<typeof options.policy.generate>>;
      const promptTokenIds =
        this.promptIds === undefined ? undefined : this.tokens.conversationIds(this.promptIds);
      try {
        turn = await abortable(
          options.policy.generate({
            messages: messages.slice(),
            // Native tool calls need no stop string; `</tool_call>` would cut a call inside the server's tool
            // parser (Qwen's hermes format wraps native calls in the same tags).
            sampling: {
              ...options.sampling,
              maxTokens,
              stop: options.toolSchemas !== undefined ? [] : [TOOL_CALL_CLOSE],
            },
            affinityKey: this.id,
            ...(promptTokenIds !== undefined ? { promptTokenIds } : {}),
            ...(options.toolSchemas !== undefined ? { tools: options.toolSchemas } : {}),
            ...(options.signal !== undefined ? { signal: options.signal } : {}),
          }),
          options.signal,
        );
      } catch (error) {
        this.throwIfAborted();
        const outage = policyOutage(error);
        if (outage !== undefined) throw outage;
        throw new AgentLoopError(
          `policy "${options.policy.name}" failed at step ${step}: ${describe(error)}`,
        );
      } finally {
        this.generationMs += performance.now() - began;
      }
      if (typeof turn?.text !== "string") {
        throw new AgentLoopError(
          `policy "${options.policy.name}" returned a turn without text at step ${step}.`,
        );
      }
      const text = restoreToolCallStop(turn.text, turn.finishReason);
      const spent = turn.tokenIds?.length ?? this.countTokens(text);
      this.budget.spend(spent);
      this.completionTokens += spent;
      this.tokens.addModelTurn(turn.tokenIds, turn.logProbs);
      this.modelTexts.push(text);
      this.responseParts.push(text);
      const calls = this.pendingCalls(text, turn.toolCalls, step);
      const nativeCalls = calls.flatMap((c) =>
        c.native === undefined ? [] : [{ ...c.call, id: c.native.toolCallId }],
      );
      // Native calls stay on the assistant message, so the next request can replay them before their results.
      messages.push({
        role: "assistant",
        content: text,
        ...(nativeCalls.length > 0 ? { toolCalls: nativeCalls } : {}),
      });
      this.turns.push({
        role: "assistant",
        text,
        finishReason: turn.finishReason,
        ...(calls.length > 0 ? { toolCall: calls[0]?.call } : {}),
      });
      emitEvent(options.onEvent, {
        type: "turn",
        trajectoryId: this.id,
        step,
        finishReason: turn.finishReason,
        tokens: spent,
        generationMs: performance.now() - began,
      });
      if (calls.length === 0) return turn.finishReason === "length" ? "max_tokens" : "answer";
      if (step >= limits.maxTurns) return "max_turns";
      for (const pending of calls) {
        const observation = await this.callTool(pending, step);
        messages.push(observation.message);
        if (observation.done) return "tool_done";
      }
    }
  }

  private pendingCalls(text: string, native: readonly ToolCall[] | undefined, step: number): PendingCall[] {
    if (native !== undefined && native.length > 0) {
      return native.map((call, index) => ({
        action: nativeToolCallAction(call),
        call,
        native: { toolCallId: call.id ?? `${this.id}-${step}-${index}`, name: call.name },
      }));
    }
    const action = actionText(text);
    return action === undefined ? [] : [{ action, call: parseToolCall(action) }];
  }

  private async callTool(pending: PendingCall, step: number): Promise<{ message: Message; done: boolean }> {
    const { options, task, limits } = this;
    this.throwIfAborted();
    const extra: ToolRequestExtra = { ...task.extraInfo };
    if (task.images !== undefined) extra.images = [...task.images];
    const began = performance.now();
    let observation: Observation;
    try {
      observation = await abortable(options.tools.execute(this.id, pending.action, extra), options.signal);
    } catch (error) {
      this.throwIfAborted();
      // The tool server failed, not the call: the trajectory ends unscored (see runTrajectory).
      if (error instanceof InfrastructureError) throw error;
      observation = failedObservation(describe(error));
    }
    const toolMs = performance.now() - began;
    this.toolMs += toolMs;
    this.toolCalls += 1;
    const name = pending.call.name;
    this.toolCallsByName[name] = (this.toolCallsByName[name] ?? 0) + 1;
    if (!observation.valid) this.invalidToolCalls += 1;

    const cut = truncateObservation(
      observation.text,
      observation.images ?? [],
      limits.maxObservationTokens,
      this.countTokens,
      options.truncateTokens ?? truncateByCounting(this.countTokens),
    );
    const encoded = options.encodeObservation?.(cut.text, cut.images);
    const spent = encoded?.length ?? this.countTokens(cut.text);
    this.budget.spend(spent);
    this.observationTokens += spent;
    this.tokens.addObservation(encoded);
    this.turns.push({
      role: "observation",
      text: cut.text,
      valid: observation.valid,
      toolName: name,
      ...(cut.images.length > 0 ? { images: cut.images } : {}),
      ...(observation.metrics !== undefined ? { metrics: observation.metrics } : {}),
    });
    this.responseParts.push(cut.text);
    emitEvent(options.onEvent, {
      type: "tool-call",
      trajectoryId: this.id,
      step,
      toolName: name,
      valid: observation.valid,
      done: observation.done,
      toolMs,
    });
    if (observation.done && observation.error !== undefined) this.error = observation.error;
    return { message: observationMessage(cut.text, cut.images, pending.native), done: observation.done };
  }

  private throwIfAborted(): void {
    if (this.options.signal?.aborted) throw new AbortedSignal(ABORTED_CAUSE);
  }
}

/** Races `promise` against `signal`, removing the listener either way so long rollouts do not leak listeners. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) {
    promise.catch(() => {});
    return Promise.reject(new AbortedSignal(ABORTED_CAUSE));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new AbortedSignal(ABORTED_CAUSE));
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

function safeCount(count: CountTokens, text: string): number {
  try {
    return count(text);
  } catch {
    return 0;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
