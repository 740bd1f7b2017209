import { AgentLoopError, InfrastructureError, OpenAIPolicyError, oneLine } from "@hdpo/agent-loop";
import { EvaluationError } from "@hdpo/evaluation";
import { JudgeError } from "@hdpo/judge";
import { TasksError } from "@hdpo/tasks";
import { ToolsError } from "@hdpo/tools";
import { EvaluatorError } from "../evaluator-error";
import { compareCommand } from "./compare-command";
import { type CliIo, runCommand } from "./run-command";
import { USAGE } from "./usage";

/** The `hdpo-eval` command line; resolves with the exit code. Known errors print one line, not a stack. */
export async function main(args: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = args;
  try {
    if (command === "run") return await runCommand(rest, io);
    if (command === "compare") return await compareCommand(rest, io);
    if (command === undefined || command === "--help" || command === "-h" || command === "help") {
      io.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    }
    io.stderr.write(`hdpo-eval: unknown command "${command}"\n\n${USAGE}`);
    return 2;
  } catch (error) {
    if (isKnownError(error)) {
      io.stderr.write(`hdpo-eval: ${oneLine(error.message, 4000)}\n`);
      return 1;
    }
    throw error;
  }
}

/**
 * Errors whose message says what was wrong and what to do: printed as one line. EvaluationError is a corrupt
 * predictions.jsonl (it names the line); TasksError is a malformed dataset
 * (DatasetError names file, row and column); OpenAIPolicyError and AgentLoopError bad client options; ToolsError
 * a missing system package (Python, bubblewrap); InfrastructureError a service that failed.
 */
function isKnownError(error: unknown): error is Error {
  return (
    error instanceof EvaluatorError ||
    error instanceof EvaluationError ||
    error instanceof JudgeError ||
    error instanceof TasksError ||
    error instanceof OpenAIPolicyError ||
    error instanceof AgentLoopError ||
    error instanceof InfrastructureError ||
    error instanceof ToolsError
  );
}
