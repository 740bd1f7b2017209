#!/usr/bin/env node
import {
  AgentLoopError,
  describeInfrastructureCounts,
  describeInfrastructureStop,
  InfrastructureError,
  OpenAIPolicyError,
  oneLine,
} from "@hdpo/agent-loop";
import { JudgeError } from "@hdpo/judge";
import { TasksError } from "@hdpo/tasks";
import { ToolsError } from "@hdpo/tools";
import { buildStages } from "../cli/build-stages";
import { CliUsageError, HELP, parseCli } from "../cli/parse-cli";
import { CurationError } from "../curation-error";
import { formatProgress } from "../pipeline/progress";
import { runCuration } from "../pipeline/run-curation";

/**
 * The `hdpo-curate` command: exit 0 done, 1 failed (also when a service kept rows from being decided: rerun to
 * decide them), 2 bad command line, 130/143 interrupted (rerun to resume).
 */
async function main(argv: readonly string[]): Promise<number> {
  let options: ReturnType<typeof parseCli>;
  try {
    options = parseCli(argv);
  } catch (error) {
    if (error instanceof CliUsageError) {
      process.stderr.write(`hdpo-curate: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  if (options === "help") {
    process.stdout.write(HELP);
    return 0;
  }
  const controller = new AbortController();
  let signalled: NodeJS.Signals | undefined;
  const stop = (signal: NodeJS.Signals) => {
    if (signalled !== undefined) process.exit(signal === "SIGINT" ? 130 : 143);
    signalled = signal;
    process.stderr.write(
      `hdpo-curate: ${signal}: finishing rows in flight, then stopping; rerun the same command to resume\n`,
    );
    controller.abort();
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  const { stages, settings } = buildStages(options);
  const quiet = options.quiet;
  const result = await runCuration({
    input: options.input,
    output: options.output,
    stages,
    settings,
    ...(options.report === undefined ? {} : { reportDir: options.report }),
    ...(options.rejected === undefined ? {} : { rejected: options.rejected }),
    ...(options.journal === undefined ? {} : { journal: options.journal }),
    retryErrors: options.retryErrors,
    examplesPerReason: options.examples,
    maxInfraFailures: options.maxInfraFailures,
    signal: controller.signal,
    ...(quiet ? {} : { onProgress: (progress) => process.stderr.write(`${formatProgress(progress)}\n`) }),
  });
  if (!result.completed) {
    const stop = result.infrastructureStop;
    const notScored = describeInfrastructureCounts(result.notScored);
    if (stop !== undefined) {
      process.stderr.write(
        `hdpo-curate: stopped: ${describeInfrastructureStop(stop, "rows were not decided")}. The ${result.processed} rows decided are kept in ${result.journal}; fix it and rerun the same command to resume.\n`,
      );
      return 1;
    }
    if (signalled !== undefined) {
      process.stderr.write(
        `hdpo-curate: stopped after ${result.processed} new rows; journal ${result.journal}\n`,
      );
      return signalled === "SIGINT" ? 130 : 143;
    }
    process.stderr.write(
      notScored === ""
        ? `hdpo-curate: stopped after ${result.processed} new rows with rows left undecided; rerun the same command to resume (journal ${result.journal})\n`
        : `hdpo-curate: rows not decided because a service failed: ${notScored}; they are not rejected: rerun the same command to decide them (journal ${result.journal})\n`,
    );
    return 1;
  }
  const stats = result.stats!;
  process.stderr.write(
    `hdpo-curate: ${stats.rowsIn} rows: kept ${stats.kept} -> ${result.output}, rejected ${stats.rejected} and errors ${stats.errors} -> ${result.rejected}${result.report ? `, report ${result.report.markdown}` : ""}\n`,
  );
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    // Errors that say what to fix are one line; anything else is a bug, and its stack helps.
    const message = isKnownError(error)
      ? oneLine(error.message, 4000)
      : error instanceof Error
        ? (error.stack ?? error.message)
        : String(error);
    process.stderr.write(`hdpo-curate: ${message}\n`);
    process.exit(1);
  },
);

/** Bad input or options, a missing system package (ToolsError), a service that failed. */
function isKnownError(error: unknown): error is Error {
  return (
    error instanceof CurationError ||
    error instanceof JudgeError ||
    error instanceof TasksError ||
    error instanceof ToolsError ||
    error instanceof OpenAIPolicyError ||
    error instanceof AgentLoopError ||
    error instanceof InfrastructureError
  );
}
