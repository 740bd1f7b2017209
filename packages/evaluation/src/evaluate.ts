import { setMaxListeners } from "node:events";
import { InfrastructureFailures } from "@hdpo/agent-loop";
import type { Task } from "@hdpo/core";
import { evaluateItem, type ItemContext } from "./evaluate-item";
import { EvaluationError } from "./evaluation-error";
import {
  DEFAULT_EVALUATION_CONCURRENCY,
  type EvaluationEvent,
  type EvaluationOptions,
  type EvaluationRun,
  type FailedItem,
  type RolloutSettings,
  type UnscoredItem,
} from "./evaluation-options";
import type { Prediction } from "./prediction";

/** A record with the position of its task, so that results come back in the order of `tasks` whatever finished first. */
interface AtIndex<T> {
  index: number;
  value: T;
}

/**
 * Evaluates a policy on tasks: each is rolled out with the tools (the agent loop), its answer judged (rules, then an
 * LLM when the judge has one) and reported through `onEvent` the moment it ends; up to `concurrency` at once.
 * An outage of the tool server, the model endpoint or the judge is never scored: the item is reported "unscored",
 * counted in `notScored`, and once one service has failed `maxInfraFailures` items in a row the run abandons the
 * items in flight, starts no more and resolves with `infrastructureStop` set. Files are the caller's: persist the
 * "scored" events (a predictions log) and pass their ids back as `skip` to resume.
 * @throws EvaluationError for bad options; JudgeError when a judgement failed under the "fail" error policy; the
 *   first error a listener or the loop threw (what ended before it was reported).
 */
export async function evaluate(options: EvaluationOptions): Promise<EvaluationRun> {
  const concurrency = options.concurrency ?? DEFAULT_EVALUATION_CONCURRENCY;
  validate(options, concurrency);
  const infrastructure = new InfrastructureFailures(options.maxInfraFailures);
  // Aborted when a service keeps failing: the items in flight are abandoned (retried on resume) rather than awaited.
  const infraStop = new AbortController();
  const signal =
    options.abort === undefined ? infraStop.signal : AbortSignal.any([options.abort, infraStop.signal]);
  // Every in-flight trajectory listens on the signal; the default cap of 10 would warn at any real concurrency.
  setMaxListeners(concurrency * 4 + 16, signal);
  if (options.abort !== undefined) setMaxListeners(concurrency * 4 + 16, options.abort);
  const context: ItemContext = {
    policy: options.policy,
    tools: options.tools,
    judge: options.judge,
    judgeOutage: options.judgeOutage ?? {},
    signal,
    abort: options.abort,
  };
  const predictions: AtIndex<Prediction>[] = [];
  const failed: AtIndex<FailedItem>[] = [];
  const unscored: AtIndex<UnscoredItem>[] = [];
  let skipped = 0;
  const emit = async (event: EvaluationEvent): Promise<void> => {
    await options.onEvent?.(event);
  };

  const runItem = async (index: number, task: Task): Promise<void> => {
    const outcome = await evaluateItem(task, settingsFor(options, task, index), context);
    infrastructure.succeeded(outcome.used);
    switch (outcome.kind) {
      case "abandoned":
        return;
      case "failed": {
        const { trajectory, error } = outcome;
        failed.push({ index, value: { id: task.id, error } });
        await emit({ type: "failed", index, task, trajectory, error });
        return;
      }
      case "unscored": {
        const { service, message: error } = outcome.error;
        unscored.push({ index, value: { id: task.id, service, error } });
        const before = infrastructure.stop;
        if (infrastructure.failed(outcome.error)) infraStop.abort();
        await emit({ type: "unscored", index, task, service, error });
        const stop = infrastructure.stop;
        if (before === undefined && stop !== undefined) await emit({ type: "infrastructure-stop", stop });
        return;
      }
      case "scored": {
        const { trajectory, prediction } = outcome;
        await emit({ type: "scored", index, task, trajectory, prediction });
        predictions.push({ index, value: prediction });
      }
    }
  };

  const source = numbered(options.tasks);
  let failure: { error: unknown } | undefined;
  const shouldStop = () => options.stop?.aborted === true || signal.aborted || failure !== undefined;
  const worker = async (): Promise<void> => {
    try {
      while (!shouldStop()) {
        // A source that throws (a malformed dataset row) ends the run like an item that throws.
        const next = await source.next();
        if (next.done === true) return;
        const { index, task } = next.value;
        if (options.skip?.has(task.id) === true) {
          skipped++;
          continue;
        }
        if (shouldStop()) return;
        await runItem(index, task);
      }
    } catch (error) {
      failure ??= { error };
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    await source.return(undefined);
  }
  if (failure !== undefined) throw failure.error;
  return {
    predictions: inOrder(predictions),
    failed: inOrder(failed),
    unscored: inOrder(unscored),
    notScored: infrastructure.counts(),
    skipped,
    ...(infrastructure.stop === undefined ? {} : { infrastructureStop: infrastructure.stop }),
  };
}

function settingsFor(options: EvaluationOptions, task: Task, index: number): RolloutSettings {
  const { rollout } = options;
  if (rollout === undefined) return {};
  return typeof rollout === "function" ? rollout(task, index) : rollout;
}

/** The tasks with their positions, numbered as they are read (workers pull from it concurrently). */
async function* numbered(
  tasks: Iterable<Task> | AsyncIterable<Task>,
): AsyncGenerator<{ index: number; task: Task }, void, undefined> {
  let index = 0;
  for await (const task of tasks) yield { index: index++, task };
}

function inOrder<T>(records: AtIndex<T>[]): T[] {
  return records.sort((a, b) => a.index - b.index).map((record) => record.value);
}

function validate(options: EvaluationOptions, concurrency: number): void {
  const whole = (value: unknown, name: string) => {
    if (!(typeof value === "number" && Number.isInteger(value) && value >= 1))
      throw new EvaluationError(
        `evaluate: options.${name} must be a whole number ≥ 1, got ${String(value)}.`,
      );
  };
  whole(concurrency, "concurrency");
  if (options.maxInfraFailures !== undefined) whole(options.maxInfraFailures, "maxInfraFailures");
  const tasks = options.tasks as unknown as Record<symbol, unknown> | null | undefined;
  if (
    tasks === null ||
    typeof tasks !== "object" ||
    (typeof tasks[Symbol.iterator] !== "function" && typeof tasks[Symbol.asyncIterator] !== "function")
  ) {
    throw new EvaluationError("evaluate: options.tasks must be an array or an (async) iterable of tasks.");
  }
  if (typeof options.policy?.generate !== "function") {
    throw new EvaluationError("evaluate: options.policy must implement Policy (a generate(request) method).");
  }
  if (typeof options.tools?.execute !== "function") {
    throw new EvaluationError(
      "evaluate: options.tools must implement ToolExecutor (execute and close methods); for a run without tools pass one that answers every call as invalid.",
    );
  }
  if (typeof options.judge?.judge !== "function") {
    throw new EvaluationError(
      "evaluate: options.judge must have a judge(input) method (see @hdpo/judge's createJudge).",
    );
  }
}
