import { parseArgs } from "node:util";
import { loadRuns } from "../compare/load-run";
import { writeCompare } from "../compare/write-compare";
import { EvaluatorError } from "../evaluator-error";
import type { CliIo } from "./run-command";

/** `hdpo-eval compare RUN_DIR... [--out DIR]`: prints the table, writes compare.md/.html/.png. */
export async function compareCommand(args: readonly string[], io: CliIo): Promise<number> {
  let parsed: { values: { out?: string | undefined }; positionals: string[] };
  try {
    parsed = parseArgs({
      args: [...args],
      allowPositionals: true,
      strict: true,
      options: { out: { type: "string" } },
    });
  } catch (error) {
    throw new EvaluatorError(`${(error as Error).message}. See hdpo-eval --help.`);
  }
  if (parsed.positionals.length === 0)
    throw new EvaluatorError("hdpo-eval compare needs at least one run folder.");
  const runs = await loadRuns(parsed.positionals);
  const outDir = parsed.values.out ?? ".";
  const markdown = await writeCompare(runs, outDir);
  io.stdout.write(`${markdown}\n\nwrote compare.md, compare.html and compare.png in ${outDir}\n`);
  return 0;
}
