import { AgentLoopError, InfrastructureError, OpenAIPolicyError, oneLine } from "@hdpo/agent-loop";
import { JudgeError } from "@hdpo/judge";
import { TasksError } from "@hdpo/tasks";
import { TensorBackendError } from "@hdpo/tensor";
import { ToolsError } from "@hdpo/tools";
import { beforeAfterTable, generateRunSuite, runFiles, TrainerError, writeRunSuite } from "@hdpo/trainer";
import { resolveCommandConfig } from "../config/resolve-run-config";
import { reproCommand } from "../repro/repro-command";
import { runTraining } from "../run/run-training";
import type { ProgressStream } from "../run/training-progress";
import { TrainerAppError } from "../trainer-app-error";
import { parseTrainArgs } from "./parse-train-args";
import { USAGE } from "./usage";

/** Where the CLI writes: process streams in the bin, buffers in tests. */
export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: ProgressStream;
  env?: Readonly<Record<string, string | undefined>>;
  /** Aborted on Ctrl-C: the run checkpoints and stops after the current step. */
  signal?: AbortSignal;
}

/** The `hdpo-train` command line; resolves with the exit code. Known errors print one line, not a stack. */
export async function main(args: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = args;
  try {
    if (command === "run") return await runCommand(rest, io);
    if (command === "suite") return await suiteCommand(rest, io);
    if (command === "repro") {
      if (rest.includes("--help") || rest.includes("-h")) {
        io.stdout.write(USAGE);
        return 0;
      }
      return await reproCommand(rest, io);
    }
    if (command === undefined || command === "--help" || command === "-h" || command === "help") {
      io.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    }
    io.stderr.write(`hdpo-train: unknown command "${command}"\n\n${USAGE}`);
    return 2;
  } catch (error) {
    if (isKnownError(error)) {
      io.stderr.write(`hdpo-train: ${oneLine(error.message, 4000)}\n`);
      return 1;
    }
    throw error;
  }
}

/**
 * Errors whose message says what to fix, printed as one line: bad config or files, a missing system package
 * (ToolsError: no Python with Pillow and numpy, no bubblewrap), a tensor backend that does not load, a service that
 * failed (InfrastructureError), bad client options (OpenAIPolicyError, AgentLoopError).
 */
function isKnownError(error: unknown): error is Error {
  return (
    error instanceof TrainerAppError ||
    error instanceof TrainerError ||
    error instanceof TasksError ||
    error instanceof JudgeError ||
    error instanceof TensorBackendError ||
    error instanceof ToolsError ||
    error instanceof InfrastructureError ||
    error instanceof OpenAIPolicyError ||
    error instanceof AgentLoopError
  );
}

/** `runs/quick-20260101-120000`: a fresh folder per run, so a second `pnpm start` never collides. */
function defaultOut(name: string): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return `runs/${name}-${stamp}`;
}

async function runCommand(args: readonly string[], io: CliIo): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    io.stdout.write(USAGE);
    return 0;
  }
  const parsed = parseTrainArgs(args);
  const { preset, config } = await resolveCommandConfig(parsed, io.env ?? process.env);
  if (parsed.resume && parsed.out === undefined) {
    throw new TrainerAppError("--resume needs --out DIR, the run to continue.");
  }
  const out = parsed.out ?? defaultOut(preset ?? "custom");
  const result = await runTraining({
    config,
    out,
    resume: parsed.resume,
    ...(parsed.fromSft !== undefined ? { fromSft: parsed.fromSft } : {}),
    ...(preset !== undefined ? { preset } : {}),
    progress: io.stderr,
    quiet: parsed.quiet,
    ...(io.signal !== undefined ? { signal: io.signal } : {}),
  });
  if (result.status === "interrupted") {
    const { phase, step } = result.position;
    io.stderr.write(
      `hdpo-train: stopped at ${phase} step ${step}; continue with: hdpo-train run --resume --out ${out} (same config flags)\n`,
    );
    return 130;
  }
  const { summary } = result;
  io.stdout.write(
    `\n${beforeAfterTable(summary.sft, summary.hdpo)}\n\n` +
      `wall time ${summary.wallTimeS.toFixed(0)} s on ${summary.backend}\n` +
      `report:  ${result.files.report}\nsummary: ${result.files.summary}\n` +
      `policy:  ${summary.finalCheckpoint} (pnpm serve --checkpoint ${summary.finalCheckpoint})\n`,
  );
  return 0;
}

/**
 * `hdpo-train suite`: writes the suite a run with the same settings trains and evaluates on (DIR/data), so a tool
 * server can serve its search corpus before the run starts.
 */
async function suiteCommand(args: readonly string[], io: CliIo): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    io.stdout.write(USAGE);
    return 0;
  }
  const parsed = parseTrainArgs(args);
  if (parsed.resume || parsed.fromSft !== undefined) {
    throw new TrainerAppError("hdpo-train suite takes no --resume or --from-sft: it only writes the suite.");
  }
  const { preset, config } = await resolveCommandConfig(parsed, io.env ?? process.env);
  const out = parsed.out ?? defaultOut(`${preset ?? "custom"}-suite`);
  const suite = generateRunSuite(config);
  const data = runFiles(out).data;
  await writeRunSuite(config, suite, data);
  const { train, val, test } = suite.tasks;
  io.stdout.write(
    `suite: ${train.length} train, ${val.length} val, ${test.length} test tasks; ${suite.corpus.length} corpus documents\n` +
      `data:  ${data}\n` +
      (suite.corpus.length > 0
        ? `serve its corpus: pnpm tool-server --search-provider local --search-corpus ${data}/corpus.jsonl\n`
        : ""),
  );
  return 0;
}
