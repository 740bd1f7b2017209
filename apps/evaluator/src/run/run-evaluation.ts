import { setMaxListeners } from "node:events";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  ABORTED_CAUSE,
  type InfrastructureCounts,
  InfrastructureError,
  InfrastructureFailures,
  type InfrastructureService,
  type InfrastructureStop,
  OpenAIChatPolicy,
  runTrajectory,
} from "@hdpo/agent-loop";
import type { Policy, Task, Trajectory } from "@hdpo/core";
import { applyErrorPolicy, isJudgeOutage, JudgeError } from "@hdpo/judge";
import { openDataset, TasksError } from "@hdpo/tasks";
import { EvaluatorError } from "../evaluator-error";
import type { Summary } from "../metrics/summary";
import { writeRunOutputs } from "../report/write-run-outputs";
import { createEvaluationJudge, type EvaluationJudge, parseJudgeSpec } from "./judge-spec";
import type { Prediction } from "./prediction";
import { PredictionsLog, readPredictions } from "./predictions-log";
import { ProgressReporter, type ProgressStream } from "./progress";
import { publicConfig, type RunConfig } from "./run-config";
import { buildSystemPrompt } from "./system-prompt";
import { createToolExecutor, type RunTools } from "./tool-executor-factory";
import { parseToolsSpec } from "./tools-spec";

/** Files of a run folder. */
export const RUN_FILES = {
  predictions: "predictions.jsonl",
  config: "config.json",
  summary: "summary.json",
  accCsv: "acc.csv",
  report: "report.html",
  headline: "headline.png",
  judgeCache: "judge-cache.jsonl",
} as const;

/** Options of {@link runEvaluation} beyond the config. */
export interface RunControls {
  /** Stop starting new items; in-flight ones finish and are written (the CLI's first Ctrl-C). */
  stop?: AbortSignal;
  /** Abandon in-flight items too; nothing partial is written (the CLI's second Ctrl-C). */
  abort?: AbortSignal;
  /** Progress line destination; none by default. */
  progress?: ProgressStream;
  /** Seconds between progress lines off a terminal. */
  progressIntervalS?: number;
  /** The LLM judge's per-request timeout and retry delay (tests shorten them). */
  judgeTimeoutMs?: number;
  judgeRetryDelayMs?: number;
  /** Use this executor (and schemas) instead of the one `config.tools` names: benches and embedding callers. */
  tools?: RunTools;
  /** Receives warnings (e.g. a weaker tool sandbox), one line each. */
  warn?: (message: string) => void;
  /** Use this policy instead of an OpenAIChatPolicy on `config.baseUrl`. */
  policy?: Policy;
}

/** An item whose rollout failed (the model endpoint erred, the loop failed): not written, retried on resume. */
export interface FailedItem {
  id: string;
  error: string;
}

/** An item a failing service (tool server, model endpoint, judge) kept from being scored: not written, retried on resume. */
export interface UnscoredItem {
  id: string;
  service: InfrastructureService;
  error: string;
}

/** Items that fail in a row, with none answered yet, before the run concludes the model endpoint is unusable. */
const FAILURES_BEFORE_GIVING_UP = 4;

/** What a run did. */
export interface RunResult {
  summary: Summary;
  /** Items finished by this invocation. */
  newlyFinished: number;
  /** Items found finished on disk at the start. */
  resumed: number;
  /** True when every item of the dataset (up to --limit) has a prediction. */
  complete: boolean;
  /** Bytes of a torn last line dropped at the start (a run killed mid-write). */
  droppedBytes: number;
  /** Items whose rollout failed in this invocation; they are not in predictions.jsonl and run again next time. */
  failed: FailedItem[];
  /** Items of this invocation that a failing service kept from being scored, by service (summary.notScored). */
  notScored: InfrastructureCounts;
  /** Those items; not in predictions.jsonl, so a resumed run retries them. */
  unscored: UnscoredItem[];
  /** Set when one service failed `config.maxInfraFailures` items in a row and the run stopped starting items. */
  infrastructureStop?: InfrastructureStop;
}

/**
 * Evaluates a model on a dataset into `config.out`: each item is rolled out (agent loop), judged (rules, then the
 * LLM when configured) and appended to `predictions.jsonl` the moment it finishes; items already there are skipped,
 * so a killed run resumes where it stopped. Ends by writing summary.json, acc.csv, report.html and headline.png
 * over everything finished, also when stopped early.
 * An outage of the tool server, the model endpoint or the judge is never scored: the item is not written (a resumed
 * run retries it), it is counted in `notScored`, and once one service has failed `config.maxInfraFailures` items in
 * a row the run abandons the items in flight, starts no more and resolves with `infrastructureStop` set.
 * @throws EvaluatorError for bad config or files; JudgeError when the judge error policy is "fail" and a judgement
 *   failed (what finished before is kept).
 */
export async function runEvaluation(config: RunConfig, controls: RunControls = {}): Promise<RunResult> {
  validateConfig(config);
  const toolsSpec = parseToolsSpec(config.tools);
  const judgeSpec = parseJudgeSpec(config.judge);
  await mkdir(config.out, { recursive: true });
  const predictionsPath = join(config.out, RUN_FILES.predictions);
  const onDisk = await readPredictions(predictionsPath);
  const finishedIds = new Set(onDisk.predictions.map((prediction) => prediction.id));
  const dataset = await openDataset(config.data);
  const planned = Math.min(dataset.size, config.limit ?? Number.POSITIVE_INFINITY);

  const tools =
    controls.tools ??
    (await createToolExecutor(toolsSpec, controls.warn === undefined ? {} : { warn: controls.warn }));
  let judge: EvaluationJudge | undefined;
  let log: PredictionsLog | undefined;
  const fresh: Prediction[] = [];
  const failed: FailedItem[] = [];
  const infrastructure = new InfrastructureFailures(config.maxInfraFailures);
  const unscored: UnscoredItem[] = [];
  // Aborted when a service keeps failing: the items in flight are abandoned (retried on resume) rather than awaited.
  const infraStop = new AbortController();
  const itemSignal =
    controls.abort === undefined ? infraStop.signal : AbortSignal.any([controls.abort, infraStop.signal]);
  let failure: unknown;
  let resolvedModel: string | undefined;
  try {
    judge = await createEvaluationJudge({
      spec: judgeSpec,
      errorPolicy: config.judgeErrorPolicy,
      ...(config.judgeModel === undefined ? {} : { model: config.judgeModel }),
      ...(config.judgeApiKey === undefined ? {} : { apiKey: config.judgeApiKey }),
      cachePath: join(config.out, RUN_FILES.judgeCache),
      concurrency: config.concurrency,
      ...(controls.judgeTimeoutMs === undefined ? {} : { timeoutMs: controls.judgeTimeoutMs }),
      ...(controls.judgeRetryDelayMs === undefined ? {} : { retryDelayMs: controls.judgeRetryDelayMs }),
    });
    const policy =
      controls.policy ??
      new OpenAIChatPolicy({
        baseURL: config.baseUrl,
        ...(config.apiKey === undefined ? {} : { apiKey: config.apiKey }),
        ...(config.model === undefined ? {} : { model: config.model }),
        ...(config.requestTimeoutMs === undefined ? {} : { timeoutMs: config.requestTimeoutMs }),
        logprobs: false,
      });
    // Every in-flight trajectory listens on the abort signal; the default cap of 10 would warn at any real concurrency.
    setMaxListeners(config.concurrency * 4 + 16, itemSignal);
    if (controls.abort !== undefined) setMaxListeners(config.concurrency * 4 + 16, controls.abort);
    resolvedModel =
      config.model ??
      (policy instanceof OpenAIChatPolicy ? await policy.model().catch(() => undefined) : undefined);
    const systemPrompt = buildSystemPrompt({ tools: tools.schemas, nativeTools: config.nativeTools });
    await writeFile(
      join(config.out, RUN_FILES.config),
      `${JSON.stringify(
        {
          ...publicConfig(config),
          ...(resolvedModel === undefined ? {} : { resolvedModel }),
          startedAt: new Date().toISOString(),
          dataset: { format: dataset.format, size: dataset.size },
          resumedItems: onDisk.predictions.length,
          systemPrompt,
        },
        null,
        2,
      )}\n`,
    );

    const remaining = Math.max(0, planned - countPlannedDone(onDisk.predictions.length, planned));
    const progress =
      controls.progress === undefined
        ? undefined
        : new ProgressReporter(controls.progress, {
            total: remaining,
            resumed: onDisk.predictions,
            ...(controls.progressIntervalS === undefined
              ? {}
              : { lineIntervalS: controls.progressIntervalS }),
          });
    log = await PredictionsLog.open(predictionsPath);
    const taskStream = limited(dataset.tasks(), config.limit);
    const judgeRef = judge;
    const appendLog = log;
    const outage = (id: string, error: InfrastructureError): void => {
      unscored.push({ id, service: error.service, error: error.message });
      if (infrastructure.failed(error)) infraStop.abort();
    };
    const evaluateOne = async (task: Task): Promise<void> => {
      const started = performance.now();
      let trajectory: Trajectory;
      try {
        trajectory = await runTrajectory(task, {
          policy,
          tools: tools.executor,
          sampling: { temperature: config.temperature },
          maxTurns: config.maxTurns,
          maxActionTokens: config.maxTokens,
          maxResponseTokens: Math.max(16384, config.maxTokens),
          systemPrompt,
          ...(config.nativeTools ? { toolSchemas: tools.schemas } : {}),
          signal: itemSignal,
        });
      } catch (error) {
        // The tool server or the model endpoint failed: nothing about the model can be scored.
        if (error instanceof InfrastructureError) {
          outage(task.id, error);
          return;
        }
        throw error;
      }
      // An abandoned item is not an answer: it is left for the next run, never written half-done.
      if (itemSignal.aborted && trajectory.error === ABORTED_CAUSE) return;
      const used: InfrastructureService[] = trajectory.toolCalls > 0 ? ["model", "tool-server"] : ["model"];
      // Neither is a failed rollout (a request the endpoint refused): it is reported and retried on resume.
      if (trajectory.finishReason === "error") {
        infrastructure.succeeded(used);
        failed.push({ id: task.id, error: trajectory.error ?? "unknown error" });
        if (fresh.length === 0 && failed.length >= FAILURES_BEFORE_GIVING_UP) {
          throw new EvaluatorError(
            `the first ${failed.length} items all failed before answering (${failed[0]!.error}); check that the model endpoint ${config.baseUrl} is up and serves ${config.model ?? "a model"}.`,
          );
        }
        return;
      }
      const judgeStarted = performance.now();
      const verdict = await judgeRef.judge.judge({
        question: task.question,
        groundTruth: task.answer,
        prediction: trajectory.answer ?? "",
        ...(task.choices === undefined ? {} : { choices: task.choices }),
      });
      infrastructure.succeeded(used);
      // A judge that cannot be asked says nothing about the answer, whatever the error policy says of judge errors.
      if (isJudgeOutage(verdict)) {
        outage(
          task.id,
          new InfrastructureError(
            "judge",
            `the judge at ${config.judge} failed: ${verdict.cause}; check that it is running and that --judge names it.`,
            { endpoint: config.judge },
          ),
        );
        return;
      }
      const scored = { verdict, ...applyErrorPolicy(verdict, judgeRef.judge.errorPolicy) };
      if (verdict.decidedBy === "llm") infrastructure.succeeded(["judge"]);
      const judgeMs = performance.now() - judgeStarted;
      if (controls.abort?.aborted) return;
      const prediction: Prediction = {
        id: task.id,
        ...(task.category === undefined ? {} : { category: task.category }),
        ...(task.toolNecessity === undefined ? {} : { toolNecessity: task.toolNecessity }),
        question: task.question,
        groundTruth: task.answer,
        prediction: trajectory.answer ?? "",
        response: trajectory.finalText,
        verdict: scored.verdict,
        included: scored.include,
        score: scored.score,
        toolCalls: trajectory.toolCalls,
        toolCallsByName: trajectory.toolCallsByName,
        invalidToolCalls: trajectory.invalidToolCalls,
        finishReason: trajectory.finishReason,
        ...(trajectory.error === undefined ? {} : { error: trajectory.error }),
        timings: {
          totalMs: performance.now() - started,
          modelMs: trajectory.timings.generationMs,
          toolMs: trajectory.timings.toolMs,
          judgeMs,
        },
        ...(trajectory.usage === undefined
          ? {}
          : {
              tokens: {
                prompt: trajectory.usage.promptTokens,
                completion: trajectory.usage.completionTokens,
                observation: trajectory.usage.observationTokens,
              },
            }),
        finishedAt: new Date().toISOString(),
      };
      await appendLog.append(prediction);
      fresh.push(prediction);
      progress?.update(prediction);
    };

    const broken = new AbortController();
    const shouldStop = () => controls.stop?.aborted === true || itemSignal.aborted || broken.signal.aborted;
    const worker = async (): Promise<void> => {
      while (!shouldStop()) {
        const next = await taskStream.next();
        if (next.done === true) return;
        if (finishedIds.has(next.value.id)) continue;
        if (shouldStop()) return;
        try {
          await evaluateOne(next.value);
        } catch (error) {
          failure ??= error;
          broken.abort();
          return;
        }
      }
    };
    await Promise.all(Array.from({ length: config.concurrency }, worker));
    await taskStream.return(undefined);
    progress?.finish();
  } finally {
    await log?.close();
    await judge?.close();
    await tools.close?.();
  }
  if (failure !== undefined) {
    if (failure instanceof JudgeError || failure instanceof EvaluatorError || failure instanceof TasksError)
      throw failure;
    throw new EvaluatorError(
      `the run failed: ${failure instanceof Error ? failure.message : String(failure)}`,
    );
  }

  const all = (await readPredictions(predictionsPath, { repair: false })).predictions;
  const complete = countPlannedDone(all.length, planned) >= planned;
  const notScored = infrastructure.counts();
  const summary = await writeRunOutputs(config.out, all, {
    errorPolicy: config.judgeErrorPolicy,
    planned,
    complete,
    label: resolvedModel ?? config.model ?? "model",
    notScored,
  });
  return {
    summary,
    newlyFinished: fresh.length,
    resumed: onDisk.predictions.length,
    complete,
    droppedBytes: onDisk.droppedBytes,
    failed,
    notScored,
    unscored,
    ...(infrastructure.stop === undefined ? {} : { infrastructureStop: infrastructure.stop }),
  };
}

function countPlannedDone(done: number, planned: number): number {
  return Math.min(done, planned);
}

async function* limited(tasks: AsyncIterable<Task>, limit: number | undefined): AsyncGenerator<Task> {
  if (limit === 0) return;
  let count = 0;
  for await (const task of tasks) {
    yield task;
    count++;
    if (limit !== undefined && count >= limit) return;
  }
}

function validateConfig(config: RunConfig): void {
  const positive = (value: number, flag: string) => {
    if (!Number.isInteger(value) || value < 1)
      throw new EvaluatorError(`${flag} must be a whole number ≥ 1, got ${value}.`);
  };
  positive(config.concurrency, "--concurrency");
  positive(config.maxTokens, "--max-tokens");
  positive(config.maxInfraFailures, "--max-infra-failures");
  if (!Number.isInteger(config.maxTurns) || config.maxTurns < 0) {
    throw new EvaluatorError(`--max-turns must be a whole number ≥ 0, got ${config.maxTurns}.`);
  }
  if (config.limit !== undefined && (!Number.isInteger(config.limit) || config.limit < 0)) {
    throw new EvaluatorError(`--limit must be a whole number ≥ 0, got ${config.limit}.`);
  }
  if (!(Number.isFinite(config.temperature) && config.temperature >= 0)) {
    throw new EvaluatorError(`--temperature must be a number ≥ 0, got ${config.temperature}.`);
  }
}
