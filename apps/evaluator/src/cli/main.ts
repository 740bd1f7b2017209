import { JudgeError } from "@hdpo/judge";
import { TasksError } from "@hdpo/tasks";
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
    // TasksError: a malformed dataset (DatasetError names file, row and column).
    if (error instanceof EvaluatorError || error instanceof JudgeError || error instanceof TasksError) {
      io.stderr.write(`hdpo-eval: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}
