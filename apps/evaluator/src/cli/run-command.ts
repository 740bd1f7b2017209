import { resolve } from "node:path";
import { describeInfrastructureCounts, describeInfrastructureStop } from "@hdpo/agent-loop";
import { formatNumber, formatPercent } from "../report/format-metric";
import { runEvaluation } from "../run/run-evaluation";
import { parseRunArgs } from "./parse-run-args";

/** Where the CLI writes; process streams in the bin, buffers in tests. */
export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown; isTTY?: boolean };
}

/**
 * `hdpo-eval run`: the first SIGINT stops starting new items (running ones finish and are written), the second
 * abandons running items; either way the outputs are written over everything finished. Returns the exit code:
 * 0 when the run completed, 130 when interrupted, 1 when items failed or were not scored because a service failed
 * (a re-run retries them); a service that keeps failing stops the run with one line saying which.
 */
export async function runCommand(args: readonly string[], io: CliIo): Promise<number> {
  const config = parseRunArgs(args);
  const stop = new AbortController();
  const abort = new AbortController();
  const onSigint = () => {
    if (!stop.signal.aborted) {
      io.stderr.write("\nhdpo-eval: stopping after the running items (Ctrl-C again to abandon them)\n");
      stop.abort();
    } else {
      io.stderr.write("\nhdpo-eval: abandoning running items; they will run again on resume\n");
      abort.abort();
    }
  };
  process.on("SIGINT", onSigint);
  try {
    const result = await runEvaluation(config, {
      stop: stop.signal,
      abort: abort.signal,
      progress: io.stderr,
    });
    const s = result.summary;
    const necessity =
      s.toolNecessity === undefined
        ? ""
        : ` blind-tool ${formatPercent(s.blindToolRate)} missed-tool ${formatPercent(s.missedToolRate)}`;
    const notScored = describeInfrastructureCounts(result.notScored);
    io.stdout.write(
      `${result.complete ? "done" : "stopped"}: n=${s.n}/${s.planned} accuracy ${formatPercent(s.accuracy, 2)} tool-use ${formatPercent(s.toolUseRate, 2)} mean T ${formatNumber(s.meanToolCalls, 3)} judge errors ${s.judgeErrors}${necessity}${notScored === "" ? "" : ` not scored ${notScored}`}\n` +
        `${result.resumed > 0 ? `resumed ${result.resumed} finished items; ` : ""}outputs in ${resolve(config.out)}\n`,
    );
    const stopped = result.infrastructureStop;
    if (stopped !== undefined) {
      io.stderr.write(
        `hdpo-eval: stopped: ${describeInfrastructureStop(stopped)}. The ${s.n} finished items are kept; fix it and run the same command again to resume.\n`,
      );
      return 1;
    }
    if (result.unscored.length > 0) {
      const first = result.unscored[0]!;
      io.stderr.write(
        `hdpo-eval: ${result.unscored.length} item(s) were not scored because a service failed: ${notScored}; re-run the same command to retry them. First: ${first.id}: ${first.error}\n`,
      );
    }
    if (result.failed.length > 0) {
      const first = result.failed[0]!;
      io.stderr.write(
        `hdpo-eval: ${result.failed.length} item(s) failed and were not written (re-run to retry them); first: ${first.id}: ${first.error}\n`,
      );
    }
    if (stop.signal.aborted && !result.complete) return 130;
    return result.failed.length > 0 || result.unscored.length > 0 ? 1 : 0;
  } finally {
    process.off("SIGINT", onSigint);
  }
}
