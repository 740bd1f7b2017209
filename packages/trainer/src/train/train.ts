import { mkdir, readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  describeInfrastructureCounts,
  describeInfrastructureStop,
  InfrastructureError,
  SERVICE_LABELS,
  zeroInfrastructureCounts,
} from "@hdpo/agent-loop";
import type { Learner, LearnerAdamParams, LearnerInfo, ToolExecutor } from "@hdpo/core";
import type { Judge } from "@hdpo/judge";
import { LearnerError } from "@hdpo/learner";
import {
  ByteLevelBpeTokenizer,
  CHECKPOINT_FILES,
  loadPolicy,
  savePolicy,
  writeFileAtomic,
} from "@hdpo/policy";
import { writeJsonl } from "@hdpo/tasks";
import { type BackendName, useBackend } from "@hdpo/tensor";
import { chatEncoding } from "../chat-encoding";
import { type CopySource, copySequences, copySource, DEFAULT_COPY_SEQUENCE_OPTIONS } from "../copy-sequences";
import type { PolicySource } from "../policy-source";
import { type RlState, rlStep } from "../rl-step";
import { sftBatch } from "../sft-batch";
import { sftExample } from "../sft-example";
import { sftLearningRate } from "../sft-learning-rate";
import { sftStep } from "../sft-step";
import type { TokenSequence } from "../token-sequence";
import { type AdamSettings, checkRlSettings } from "../trainer-config";
import { TrainerError } from "../trainer-error";
import { configFingerprint } from "./config-fingerprint";
import type { EvalResult } from "./eval-result";
import type { EvalRollout } from "./eval-rollouts";
import { type EvaluationSetup, evaluatePolicy, type PolicyEvaluation } from "./evaluate-policy";
import { formatRate } from "./format-rate";
import { MetricsLog, type SftMetricsLine } from "./metrics-log";
import {
  type LoadedRunCheckpoint,
  loadRunCheckpoint,
  type RunPosition,
  saveRunCheckpoint,
} from "./run-checkpoint";
import type { RunConfig } from "./run-config";
import {
  DEAD_BACKEND,
  deadBackendError,
  MAX_CONSECUTIVE_FAILED_STEPS,
  requireFinished,
} from "./run-failures";
import { type RunFiles, runFiles } from "./run-files";
import {
  checkLearnerConfig,
  checkRemoteLearner,
  type LearnerFactory,
  learnerFactoryFor,
  learnerFit,
  writeRemoteBase,
} from "./run-learner";
import { policySourceFor } from "./run-sampler";
import type { RunSummary } from "./run-summary";
import { loadSftStart, saveRemoteSftState, saveSftEvaluation } from "./start-from-sft";
import { saveStartingPolicy } from "./starting-policy";
import type { TrainEvent, TrainEventListener } from "./train-events";
import { prepareTraining, type TrainingSetup } from "./training-setup";

/** Options of {@link train}. */
export interface TrainOptions {
  config: RunConfig;
  /** The run directory. */
  out: string;
  /** Continue from the latest checkpoint in `out` (a fresh start when there is none). */
  resume?: boolean;
  /**
   * Start HDPO from the SFT policy (and its evaluation) of the run in this directory instead of running a cold
   * start and SFT: runs that differ only in RL settings then share one SFT. Its config must match this one in
   * everything that shapes the SFT policy. Ignored when resuming from a checkpoint.
   */
  fromSft?: string;
  /** The preset the config started from, recorded in summary.json. */
  preset?: string;
  /** The learner every update goes through. Default: the config's (`learner`: in process, or a Tinker server). */
  learner?: LearnerFactory;
  /** Where rollouts and evaluations sample. Default: the config's (`sampler`: the learner's sampler, or endpoints). */
  policySource?: PolicySource;
  /** The tools of the rollouts. Default: the config's (in process, or `tools.server`). */
  tools?: ToolExecutor;
  /** The judge of every verdict. Default: the config's (rules, or an LLM judge with `judge.baseUrl`). */
  judge?: Judge;
  /** Progress, evaluations, checkpoints and the end, as they happen. */
  onEvent?: TrainEventListener;
  /** Stops after the current step, writing a checkpoint first (Ctrl-C in the CLI). */
  signal?: AbortSignal;
  /** Called after every step; a throw ends the run as a crash would (tests use it to kill a run mid-way). */
  onStep?: (phase: "sft" | "rl", completedSteps: number) => void;
}

/** How a run ended. */
export type TrainResult =
  | { status: "finished"; summary: RunSummary; files: RunFiles }
  | { status: "interrupted"; position: RunPosition; files: RunFiles };

/** Everything that changes while the run trains. */
interface LiveRun {
  tokenizer: ByteLevelBpeTokenizer;
  /** Where every update happens, and the rollouts' sampler. */
  learner: Learner;
  position: RunPosition;
  sessionStartedAt: number;
  elapsedBeforeMs: number;
}

/**
 * The main job: suite → cold start → tokenizer and model → SFT → evaluation → HDPO RL → evaluation, every update
 * through a `Learner`, with metrics.jsonl, checkpoints (every `run.checkpointEvery` steps: the learner's state and
 * the run's position), the evaluations' rollouts, summary.json and the final policy (Hugging Face layout) in
 * `out/final`, reporting through `onEvent`. With `resume`, it continues from the latest checkpoint and ends where an
 * uninterrupted run ends: batches and samples derive from (seed, step).
 *
 * @throws TrainerError with one line for what stops a run (a config that does not fit the run folder, a service
 * that keeps failing, a dead tensor backend); the last checkpoint stays, so `resume` continues after the fix.
 */
export async function train(options: TrainOptions): Promise<TrainResult> {
  const { config, out } = options;
  checkRlSettings(config.rl);
  checkLearnerConfig(config, options.resume === true ? undefined : options.fromSft);
  const files = runFiles(out);
  const emit = async (event: TrainEvent): Promise<void> => {
    await options.onEvent?.(event);
  };
  const note = (message: string): Promise<void> => emit({ type: "note", message });
  const sessionStartedAt = performance.now();
  const backend: BackendName = await useBackend(config.backend);
  await mkdir(out, { recursive: true });

  const checkpoint = options.resume === true ? await loadRunCheckpoint(files.checkpoints) : undefined;
  if (checkpoint === undefined) await refuseExistingRun(out, files);
  if (checkpoint !== undefined && checkpoint.position.configFingerprint !== configFingerprint(config)) {
    throw new TrainerError(
      `the checkpoint in ${files.checkpoints} was written with a different config; resume with the same ` +
        "config (only step counts, run, eval and backend settings may change) or start a new --out.",
    );
  }
  if (options.learner === undefined) await checkRemoteLearner(config);
  await writeFileAtomic(files.config, `${JSON.stringify(config, null, 2)}\n`);
  const metricsLog = new MetricsLog(files.metrics);

  const start =
    checkpoint === undefined && options.fromSft !== undefined
      ? await loadSftStart(options.fromSft, config)
      : undefined;
  // The demonstrations serve the tokenizer and SFT only.
  const coldStart = checkpoint === undefined ? start === undefined : checkpoint.position.phase === "sft";
  await note(
    `hdpo-train: backend ${backend}; preparing the suite, the tools${coldStart ? " and the cold start" : ""}…`,
  );
  const setup = await prepareTraining(config, files.data, {
    coldStart,
    ...(options.tools !== undefined ? { tools: options.tools } : {}),
    ...(options.judge !== undefined ? { judge: options.judge } : {}),
  });
  let live: LiveRun | undefined;
  try {
    const withTools = setup.demos.filter((d) => d.trajectory.toolCalls > 0).length;
    await note(
      `suite: ${setup.trainTasks.length} train / ${setup.testTasks.length} test text tasks; ` +
        (coldStart
          ? `cold start: ${setup.demos.length} trajectories, ${formatRate(withTools / Math.max(1, setup.demos.length))} call a tool`
          : start !== undefined
            ? `SFT policy from ${options.fromSft}`
            : "resuming HDPO"),
    );
    const learnerFactory = options.learner ?? learnerFactoryFor(config);
    if (checkpoint === undefined) await writeBase(config, setup, files, start?.policyDirectory);
    const tokenizer = await readTokenizer(files.base);
    live = {
      tokenizer,
      learner: await learnerFactory({
        baseDirectory: files.base,
        tokenizer,
        stateDirectory: files.checkpoints,
      }),
      position: checkpoint?.position ?? {
        phase: start === undefined ? "sft" : "rl",
        step: 0,
        seed: config.seed,
        elapsedMs: 0,
        configFingerprint: configFingerprint(config),
        ...(start !== undefined ? { sftEval: start.sftEval, fromSft: start.directory } : {}),
      },
      sessionStartedAt,
      elapsedBeforeMs: checkpoint?.position.elapsedMs ?? 0,
    };
    const fit = learnerFit(config, live.learner.info);
    if (fit.problems.length > 0) {
      throw new TrainerError(
        `the ${live.learner.info.kind} learner cannot run this config: ${fit.problems.join("; ")}.`,
      );
    }
    for (const ignored of fit.ignored) await note(`learner: ${ignored}`);
    if (checkpoint !== undefined) await live.learner.loadState(checkpoint.learnerState);
    if (checkpoint === undefined) {
      await metricsLog.reset();
      if (start !== undefined) {
        for (const line of start.sftLines) await metricsLog.append(line);
        await live.learner.exportWeights(files.sftPolicy);
        await saveSftEvaluation(files.sftPolicy, start.sftEval);
      }
    } else {
      const { phase, step } = checkpoint.position;
      await metricsLog.truncate(
        phase === "sft" ? step : config.sft.copyWarmupSteps + config.sft.steps,
        phase === "rl" ? step : 0,
      );
      await note(`resuming from ${checkpoint.learnerState} (${phase} step ${step})`);
    }
    const context: PhaseContext = {
      config,
      files,
      setup,
      live,
      metricsLog,
      options,
      checkpoint,
      emit,
      learnerFactory,
      policySource: options.policySource ?? policySourceFor(config),
    };

    if (live.position.phase === "sft") {
      const stopped = await runSft(context);
      if (stopped) return { status: "interrupted", position: live.position, files };
    }
    const stopped = await runRl(context);
    if (stopped) return { status: "interrupted", position: live.position, files };

    await note("evaluating the HDPO policy on the held-out test split…");
    const hdpoEvaluation = await evaluatePolicy(
      live.learner,
      live.tokenizer,
      evaluationSetup(config, setup),
      context.policySource,
    );
    await writeEvalRollouts(files, "hdpo", hdpoEvaluation.rollouts);
    requireServices("HDPO", hdpoEvaluation, out);
    const hdpo = requireFinished("HDPO", hdpoEvaluation.result);
    await emit({ type: "evaluation", policy: "hdpo", result: hdpo });
    const sft = live.position.sftEval!;
    await live.learner.exportWeights(files.finalPolicy);
    const lines = await metricsLog.read();
    const failedRlSteps = lines.filter((l) => l.phase === "rl" && "failed" in l).length;
    const summary: RunSummary = {
      sft,
      hdpo,
      wallTimeS: (live.elapsedBeforeMs + performance.now() - sessionStartedAt) / 1000,
      backend,
      learner: learnerSummary(live.learner.info, config),
      seed: config.seed,
      preset: options.preset ?? null,
      steps: { sft: config.sft.steps, copyWarmup: config.sft.copyWarmupSteps, rl: config.rl.steps },
      failedRlSteps,
      resumed: checkpoint !== undefined,
      fromSft: live.position.fromSft ?? null,
      finalCheckpoint: files.finalPolicy,
      finishedAt: new Date().toISOString(),
    };
    await writeFileAtomic(files.summary, `${JSON.stringify(summary, null, 2)}\n`);
    await emit({ type: "finished", summary });
    return { status: "finished", summary, files };
  } finally {
    await live?.learner.close();
    await setup.close();
  }
}

/** summary.json's learner: what trained, and for a remote one, where and by which protocol version. */
function learnerSummary(info: LearnerInfo, config: RunConfig): RunSummary["learner"] {
  const url = config.learner.url;
  return {
    kind: info.kind,
    baseModel: info.baseModel,
    ...(info.protocol === undefined ? {} : { protocol: info.protocol }),
    ...(url === undefined ? {} : { url }),
  };
}

async function refuseExistingRun(out: string, files: RunFiles): Promise<void> {
  const entries = await readdir(out);
  if (entries.includes("checkpoints") || entries.includes("summary.json")) {
    throw new TrainerError(
      `${out} already holds a run (${files.checkpoints} or ${files.summary}); pass --resume to continue it or choose another --out.`,
    );
  }
}

/**
 * `out/base`: the policy the run starts from — another run's SFT policy (`--from-sft`), or a tokenizer trained on the
 * demonstrations and a fresh model — in Hugging Face layout, so that any learner can load it and a resume finds the
 * tokenizer there. A pretrained remote base (`learner.tokenizer`) leaves only its tokenizer here.
 */
async function writeBase(
  config: RunConfig,
  setup: TrainingSetup,
  files: RunFiles,
  sftPolicy: string | undefined,
): Promise<void> {
  if (config.learner.tokenizer !== undefined) {
    await writeRemoteBase(config.learner.tokenizer, files.base);
    return;
  }
  if (sftPolicy === undefined) {
    await saveStartingPolicy(config, setup.demos, files.base);
    return;
  }
  const { model, tokenizer } = await loadPolicy(sftPolicy);
  try {
    await savePolicy(files.base, { model, tokenizer });
  } finally {
    model.dispose();
  }
}

async function readTokenizer(baseDirectory: string): Promise<ByteLevelBpeTokenizer> {
  let text: string;
  try {
    text = await readFile(join(baseDirectory, CHECKPOINT_FILES.tokenizer), "utf8");
  } catch {
    throw new TrainerError(
      `${join(baseDirectory, CHECKPOINT_FILES.tokenizer)} is missing; this run folder predates the learner seam or is damaged — start a new --out.`,
    );
  }
  return ByteLevelBpeTokenizer.fromTokenizerJson(JSON.parse(text));
}

interface PhaseContext {
  config: RunConfig;
  files: RunFiles;
  setup: TrainingSetup;
  live: LiveRun;
  metricsLog: MetricsLog;
  options: TrainOptions;
  checkpoint: LoadedRunCheckpoint | undefined;
  emit: (event: TrainEvent) => Promise<void>;
  learnerFactory: LearnerFactory;
  policySource: PolicySource;
}

function evaluationSetup(config: RunConfig, setup: TrainingSetup): EvaluationSetup {
  return {
    tasks: setup.testTasks,
    tools: setup.tools,
    judge: setup.judge,
    systemPrompt: setup.systemPrompt,
    seed: config.seed,
    temperature: config.eval.temperature,
    maxTurns: config.eval.maxTurns,
    maxResponseTokens: config.eval.maxResponseTokens ?? config.rl.maxResponseTokens,
    maxObservationTokens: config.rl.maxObservationTokens,
    concurrency: config.eval.concurrency,
    maxInfraFailures: config.eval.maxInfraFailures,
  };
}

/**
 * Stops the run when a service kept failing during an evaluation: its numbers would describe the outage, not the
 * policy. The checkpoint before the evaluation is kept, so `--resume` evaluates again.
 * @throws TrainerError with one line naming the service.
 */
function requireServices(label: string, evaluation: PolicyEvaluation, out: string): void {
  const stop = evaluation.infrastructureStop;
  const notScored = describeInfrastructureCounts(evaluation.result.notScored ?? zeroInfrastructureCounts());
  const resume = `Fix it, then continue with: hdpo-train run --resume --out ${out} (same config flags).`;
  if (stop !== undefined) {
    throw new TrainerError(
      `the ${label} evaluation stopped: ${describeInfrastructureStop(stop, "test tasks were not scored")}. ${resume}`,
    );
  }
  // Fewer tasks than the threshold, all lost to a service: nothing to report either.
  if (evaluation.result.n === 0 && notScored !== "") {
    throw new TrainerError(
      `no test task of the ${label} evaluation could be scored because a service failed: ${notScored}. ${resume}`,
    );
  }
}

/** `DIR/eval/<policy>.jsonl`: the evaluation's rollouts, written before its numbers are checked so that a failed one can be read. */
async function writeEvalRollouts(
  files: RunFiles,
  policy: "sft" | "hdpo",
  rollouts: EvalRollout[],
): Promise<void> {
  await mkdir(files.evalRollouts, { recursive: true });
  await writeJsonl(join(files.evalRollouts, `${policy}.jsonl`), rollouts);
}

/** Whether a checkpoint is due after `completed` steps of a phase of `total`. */
function checkpointDue(completed: number, total: number, every: number): boolean {
  return completed === total || (every > 0 && completed % every === 0);
}

async function writeCheckpoint(context: PhaseContext, status: string): Promise<void> {
  const { live, files } = context;
  live.position.elapsedMs = live.elapsedBeforeMs + performance.now() - live.sessionStartedAt;
  const learnerState = await saveRunCheckpoint(files.checkpoints, {
    learner: live.learner,
    position: live.position,
  });
  await context.emit({ type: "checkpoint", status, position: { ...live.position }, learnerState });
}

/** SFT on the cold-start demos; resolves true when stopped by the signal. */
async function runSft(context: PhaseContext): Promise<boolean> {
  const { config, setup, live, metricsLog, options } = context;
  const encoding = chatEncoding(live.tokenizer);
  const examples: TokenSequence[] = [];
  let tooLong = 0;
  for (const demo of setup.demos) {
    const example = sftExample(demo.prompt, demo.trajectory.turns, encoding);
    if (example.promptIds.length + example.ids.length > config.model.maxPositions) tooLong++;
    else examples.push(example);
  }
  if (tooLong > 0) {
    await context.emit({
      type: "note",
      message: `sft: ${tooLong} demonstrations are longer than model.maxPositions and are left out`,
    });
  }
  const copySources = copySource(examples.map((e) => [...e.promptIds, ...e.ids]));
  const warmup = config.sft.copyWarmupSteps;
  const total = warmup + config.sft.steps;
  await context.emit({ type: "phase-start", phase: "sft", total, completed: live.position.step });
  for (let step = live.position.step; step < total; step++) {
    const began = performance.now();
    const metrics =
      step < warmup
        ? await copyWarmupStep(context, copySources, step)
        : await demonstrationStep(context, { examples, copySources }, step - warmup);
    const line: SftMetricsLine = {
      phase: "sft",
      step,
      ...metrics,
      timings: { totalMs: performance.now() - began },
    };
    await metricsLog.append(line);
    live.position.step = step + 1;
    await context.emit({ type: "sft-step", completed: step + 1, total, line });
    const stop = options.signal?.aborted === true;
    if (checkpointDue(step + 1, total, config.run.checkpointEvery) || stop) {
      await writeCheckpoint(context, `SFT step ${step + 1} of ${total}`);
    }
    if (stop) return true;
    options.onStep?.("sft", step + 1);
  }
  return false;
}

type SftLineMetrics = Omit<SftMetricsLine, "phase" | "step" | "timings">;

/** An Adam step's parameters: the phase's constants, `learningRate`, clipping at `gradClip`. */
function adamParams(adam: AdamSettings, learningRate: number, gradClip: number): LearnerAdamParams {
  return { ...adam, learningRate, gradClipNorm: gradClip };
}

/** SFT step `at` on the demonstrations, then (with `sft.copyRows`) an update on that many copy exercises. */
async function demonstrationStep(
  context: PhaseContext,
  data: { examples: readonly TokenSequence[]; copySources: CopySource },
  at: number,
): Promise<SftLineMetrics> {
  const { config, live } = context;
  const learningRate = sftLearningRate(config.sft, at);
  const adam = adamParams(config.sft.adam, learningRate, config.sft.gradClip);
  const batch = sftBatch(data.examples, config.sft.batchSize, config.seed, at);
  const metrics = await sftStep(live.learner, batch, adam);
  if (config.sft.copyRows === 0) return { ...metrics, learningRate };
  // A separate update: padded into the demonstrations' batch, the short copy rows would cost as much as they.
  const copyBatch = copySequences(data.copySources, config.sft.copyRows, config.seed, at);
  const copy = await sftStep(live.learner, copyBatch, adam);
  return { ...metrics, copyLoss: copy.loss, learningRate };
}

/**
 * One copy warm-up step: spans of random tokens and their repeats only (see `sft.copyWarmupSteps`), at the SFT
 * learning rate with its linear warm-up and no decay.
 */
async function copyWarmupStep(
  context: PhaseContext,
  sources: CopySource,
  step: number,
): Promise<SftLineMetrics> {
  const { config, live } = context;
  const learningRate = sftLearningRate({ ...config.sft, schedule: "constant" }, step);
  const batch = copySequences(sources, config.sft.copyWarmupBatchSize, config.seed, step, {
    ...DEFAULT_COPY_SEQUENCE_OPTIONS,
    randomShare: 1,
  });
  const metrics = await sftStep(
    live.learner,
    batch,
    adamParams(config.sft.adam, learningRate, config.sft.gradClip),
  );
  return { ...metrics, learningRate, copyWarmup: true };
}

/** The SFT evaluation (once), then HDPO RL; resolves true when stopped by the signal. */
async function runRl(context: PhaseContext): Promise<boolean> {
  const { config, setup, live, metricsLog, options, files, emit } = context;
  let reference: Learner | undefined;
  try {
    if (live.position.phase === "sft") {
      await emit({ type: "note", message: "evaluating the SFT policy on the held-out test split…" });
      const sftEvaluation = await evaluatePolicy(
        live.learner,
        live.tokenizer,
        evaluationSetup(config, setup),
        context.policySource,
      );
      await writeEvalRollouts(files, "sft", sftEvaluation.rollouts);
      requireServices("SFT", sftEvaluation, options.out);
      const sftEval = requireFinished("SFT", sftEvaluation.result);
      await emit({ type: "evaluation", policy: "sft", result: sftEval });
      await emit({ type: "note", message: describeEval("SFT", sftEval) });
      // HDPO starts with a fresh optimizer: the SFT weights, without SFT's Adam moments (a remote learner loads them
      // into a fresh model, as the Tinker API restores).
      const sftState = await live.learner.saveState(`sft-done-${Date.now().toString(36)}`);
      // A remote model's SFT weights stay on the server (a pretrained model's are gigabytes); sft/ names the state.
      if (config.learner.url === undefined) await live.learner.exportWeights(files.sftPolicy);
      else await saveRemoteSftState(files.sftPolicy, sftState);
      await saveSftEvaluation(files.sftPolicy, sftEval);
      await live.learner.loadState(sftState, { weightsOnly: true });
      live.position = { ...live.position, phase: "rl", step: 0, sftEval };
      await writeCheckpoint(context, "SFT done; HDPO starting");
    }
    if (config.rl.klCoef > 0) {
      reference = await context.learnerFactory({
        baseDirectory: files.sftPolicy,
        tokenizer: live.tokenizer,
        stateDirectory: join(files.checkpoints, "reference"),
      });
    }
    const tasks = setup.trainTasks;
    await emit({ type: "phase-start", phase: "hdpo", total: config.rl.steps, completed: live.position.step });
    let consecutiveFailures = 0;
    for (let step = live.position.step; step < config.rl.steps; step++) {
      const state: RlState = {
        learner: live.learner,
        policySource: context.policySource,
        tokenizer: live.tokenizer,
        tools: setup.tools,
        judge: setup.judge,
        tasks,
        systemPrompt: setup.systemPrompt,
        seed: config.seed,
        step,
        ...(reference !== undefined ? { reference } : {}),
      };
      const began = performance.now();
      let failure: string | undefined;
      try {
        const { metrics, trajectories } = await rlStep(state, config.rl);
        const line = { phase: "rl" as const, ...metrics };
        await metricsLog.append(line);
        await emit({ type: "rl-step", completed: step + 1, total: config.rl.steps, line });
        // A step where every rollout crashed trained nothing: it counts towards the streak of failures.
        if (metrics.rollouts > 0 && metrics.errors === metrics.rollouts) {
          failure = `all ${metrics.rollouts} rollouts failed; the first: ${trajectories[0]?.error ?? "unknown cause"}`;
        }
      } catch (error) {
        // A service that failed is not a failed step: training on what is left would learn from the outage. The
        // step made no update (rollouts and verdicts come first), so a checkpoint at it loses nothing.
        if (error instanceof InfrastructureError) {
          await writeCheckpoint(
            context,
            `stopped before HDPO step ${step + 1}: ${SERVICE_LABELS[error.service]} failed`,
          );
          throw new TrainerError(
            `HDPO step ${step + 1} of ${config.rl.steps} stopped, nothing trained on it: ${error.message} ` +
              `The checkpoint after step ${step} is kept: fix it, then continue with: hdpo-train run --resume --out ${options.out} (same config flags).`,
          );
        }
        // A remote learner that failed mid-update may have applied part of the step, or hold gradients that the
        // next optimizer step would apply: the step is redone from the last checkpoint, in a fresh model, on resume.
        if (error instanceof LearnerError && config.learner.url !== undefined) {
          throw new TrainerError(
            `HDPO step ${step + 1} of ${config.rl.steps} stopped: the learner failed: ${error.message} ` +
              `The last checkpoint is kept and nothing after it: fix it, then continue with: hdpo-train run --resume --out ${options.out} (same config flags).`,
          );
        }
        // One failed step is logged and skipped; a streak ends the run.
        failure = error instanceof Error ? error.message : String(error);
        const line = {
          phase: "rl" as const,
          step,
          failed: failure,
          timings: { totalMs: performance.now() - began },
        };
        await metricsLog.append(line);
        await emit({ type: "rl-step", completed: step + 1, total: config.rl.steps, line });
      }
      if (failure === undefined) consecutiveFailures = 0;
      else {
        if (DEAD_BACKEND.test(failure)) throw deadBackendError(failure);
        consecutiveFailures++;
        await emit({ type: "note", message: `hdpo step ${step} failed: ${failure}` });
        if (consecutiveFailures >= MAX_CONSECUTIVE_FAILED_STEPS) {
          throw new TrainerError(
            `${MAX_CONSECUTIVE_FAILED_STEPS} HDPO steps in a row failed; the last: ${failure}. Fix the cause, then continue with --resume.`,
          );
        }
      }
      live.position.step = step + 1;
      const stop = options.signal?.aborted === true;
      if (checkpointDue(step + 1, config.rl.steps, config.run.checkpointEvery) || stop) {
        await writeCheckpoint(context, `HDPO step ${step + 1} of ${config.rl.steps}`);
      }
      if (stop) return true;
      options.onStep?.("rl", step + 1);
    }
  } finally {
    await reference?.close();
  }
  return false;
}

/** One line with a policy's evaluation. */
export function describeEval(label: string, result: EvalResult): string {
  const notScored = result.notScored === undefined ? "" : describeInfrastructureCounts(result.notScored);
  return (
    `${label}: accuracy ${formatRate(result.accuracy)}, tool use on unnecessary ${formatRate(result.toolRateUnnecessary)}, ` +
    `on necessary ${formatRate(result.toolRateNecessary)}, mean T ${result.meanToolCalls?.toFixed(2) ?? "-"} (n ${result.n})` +
    (notScored === "" ? "" : `; not scored because a service failed: ${notScored}`)
  );
}
