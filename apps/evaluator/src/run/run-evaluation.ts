import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type InfrastructureCounts, type InfrastructureStop, OpenAIChatPolicy } from "@hdpo/agent-loop";
import type { Policy, Task } from "@hdpo/core";
import {
  EvaluationError,
  type EvaluationEvent,
  type EvaluationRun,
  evaluate,
  type FailedItem,
  PredictionsLog,
  readPredictions,
  type Summary,
  type UnscoredItem,
} from "@hdpo/evaluation";
import { JudgeError } from "@hdpo/judge";
import { openDataset, TasksError } from "@hdpo/tasks";
import { EvaluatorError } from "../evaluator-error";
import { writeRunOutputs } from "../report/write-run-outputs";
import { createEvaluationJudge, type EvaluationJudge, parseJudgeSpec } from "./judge-spec";
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
 * Evaluates a model on a dataset into `config.out` with @hdpo/evaluation's engine: each item is rolled out (agent
 * loop), judged (rules, then the LLM when configured) and appended to `predictions.jsonl` the moment it finishes;
 * items already there are skipped,
 * so a killed run resumes where it stopped. Ends by writing summary.json, acc.csv, report.html and headline.png
 * over everything finished, also when stopped early.
 * An outage of the tool server, the model endpoint or the judge is never scored: the item is not written (a resumed
 * run retries it), it is counted in `notScored`, and once one service has failed `config.maxInfraFailures` items in
 * a row the run abandons the items in flight, starts no more and resolves with `infrastructureStop` set.
 * @throws EvaluatorError for bad config or files; EvaluationError for a corrupt predictions.jsonl; JudgeError when
 *   the judge error policy is "fail" and a judgement failed (what finished before is kept).
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
  let run: EvaluationRun | undefined;
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
    try {
      run = await evaluate({
        tasks: limited(dataset.tasks(), config.limit),
        policy,
        tools: tools.executor,
        judge: judge.judge,
        rollout: {
          sampling: { temperature: config.temperature },
          maxTurns: config.maxTurns,
          maxActionTokens: config.maxTokens,
          maxResponseTokens: Math.max(16384, config.maxTokens),
          systemPrompt,
          ...(config.nativeTools ? { toolSchemas: tools.schemas } : {}),
        },
        concurrency: config.concurrency,
        maxInfraFailures: config.maxInfraFailures,
        skip: finishedIds,
        ...(controls.stop === undefined ? {} : { stop: controls.stop }),
        ...(controls.abort === undefined ? {} : { abort: controls.abort }),
        judgeOutage: { endpoint: config.judge, hint: "check that it is running and that --judge names it." },
        onEvent: runListener(config, log, progress),
      });
    } catch (error) {
      failure = error;
    }
    progress?.finish();
  } finally {
    await log?.close();
    await judge?.close();
    await tools.close?.();
  }
  if (failure !== undefined || run === undefined) {
    if (
      failure instanceof JudgeError ||
      failure instanceof EvaluatorError ||
      failure instanceof EvaluationError ||
      failure instanceof TasksError
    )
      throw failure;
    throw new EvaluatorError(
      `the run failed: ${failure instanceof Error ? failure.message : String(failure)}`,
    );
  }

  const all = (await readPredictions(predictionsPath, { repair: false })).predictions;
  const complete = countPlannedDone(all.length, planned) >= planned;
  const summary = await writeRunOutputs(config.out, all, {
    errorPolicy: config.judgeErrorPolicy,
    planned,
    complete,
    label: resolvedModel ?? config.model ?? "model",
    notScored: run.notScored,
  });
  return {
    summary,
    newlyFinished: run.predictions.length,
    resumed: onDisk.predictions.length,
    complete,
    droppedBytes: onDisk.droppedBytes,
    failed: run.failed,
    notScored: run.notScored,
    unscored: run.unscored,
    ...(run.infrastructureStop === undefined ? {} : { infrastructureStop: run.infrastructureStop }),
  };
}

/**
 * Where the run's items go as they end: a scored one is appended to predictions.jsonl (on disk before it counts,
 * so a killed run resumes after it), then shown; a run whose first items all fail is an endpoint that does not
 * serve the model, and stops.
 */
function runListener(
  config: RunConfig,
  log: PredictionsLog,
  progress: ProgressReporter | undefined,
): (event: EvaluationEvent) => Promise<void> {
  let answered = 0;
  let failed = 0;
  let firstFailure = "";
  return async (event) => {
    if (event.type === "scored") {
      await log.append(event.prediction);
      answered++;
      progress?.update(event.prediction);
    } else if (event.type === "failed") {
      failed++;
      if (failed === 1) firstFailure = event.error;
      if (answered === 0 && failed >= FAILURES_BEFORE_GIVING_UP) {
        throw new EvaluatorError(
          `the first ${failed} items all failed before answering (${firstFailure}); check that the model endpoint ${config.baseUrl} is up and serves ${config.model ?? "a model"}.`,
        );
      }
    }
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
