import type { CliIo } from "../cli/main";
import { parseReproArgs } from "../cli/parse-repro-args";
import { resolveCommandConfig } from "../config/resolve-run-config";
import { aggregateRepro, type ReproAggregates } from "./aggregate-repro";
import { formatStat } from "./format-stat";
import { evaluateClaims } from "./repro-claims";
import { selectReproMethods } from "./repro-methods";
import { DEFAULT_REPRODUCTION_DOC, writeReproductionReport } from "./reproduction-report";
import { runRepro } from "./run-repro";

/** The results as aligned plain text for stdout. */
function resultsTable(aggregates: ReproAggregates): string {
  const rows: [string, string, string, string, string][] = [
    ["method", "accuracy", "tool use, unnecessary", "tool use, necessary", "mean T"],
    ...[{ name: "SFT start", final: aggregates.sft }, ...aggregates.methods].map(
      ({ name, final }) =>
        [
          name,
          formatStat(final.accuracy, "percent"),
          formatStat(final.toolRateUnnecessary, "percent"),
          formatStat(final.toolRateNecessary, "percent"),
          formatStat(final.meanToolCalls, "number"),
        ] as [string, string, string, string, string],
    ),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const lines = rows.map((row) =>
    row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join("  "),
  );
  return [lines[0], "-".repeat(lines[0]!.length), ...lines.slice(1)].join("\n");
}

/**
 * `hdpo-train repro`: every (seed, method) run of the study (resuming where it stopped), then the aggregates, the
 * claims' verdicts and the page with its figures. Resolves with the exit code.
 */
export async function reproCommand(args: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseReproArgs(args);
  const { preset, config: baseConfig } = await resolveCommandConfig(parsed, io.env ?? process.env);
  const methods = selectReproMethods(parsed.methods);
  const out = parsed.out ?? `runs/repro-${preset ?? "custom"}`;
  const doc = parsed.doc ?? DEFAULT_REPRODUCTION_DOC;
  const note = (text: string) => {
    if (!parsed.quiet) io.stderr.write(`${text}\n`);
  };
  note(
    `hdpo-train repro: ${parsed.seeds.length} seeds × ${methods.length} methods into ${out} ` +
      `(${methods.map((m) => m.name).join(", ")})`,
  );
  const result = await runRepro({
    baseConfig,
    seeds: parsed.seeds,
    methods,
    out,
    ...(preset !== undefined ? { preset } : {}),
    progress: io.stderr,
    quiet: parsed.quiet,
    ...(io.signal !== undefined ? { signal: io.signal } : {}),
    onRun: (event) => {
      const what =
        event.action === "skip"
          ? "done already"
          : `${event.action === "resume" ? "resuming" : "training"}${event.fromSft === null ? " (SFT + RL)" : " (RL from the seed's SFT policy)"}`;
      note(`repro run ${event.index}/${event.total}: seed ${event.seed}, ${event.method}: ${what}`);
    },
  });
  if (result.status === "interrupted") {
    io.stderr.write(
      `hdpo-train: stopped in seed ${result.seed}, ${result.method} (${result.dir}); run the same command again to continue.\n`,
    );
    return 130;
  }
  const aggregates = aggregateRepro(result.runs, methods);
  const claims = evaluateClaims(aggregates, { dynamicSampling: baseConfig.rl.dynamicSampling });
  const files = await writeReproductionReport({
    aggregates,
    claims,
    methods,
    config: baseConfig,
    preset: preset ?? null,
    out,
    doc,
  });
  io.stdout.write(
    `\n${resultsTable(aggregates)}\n\n` +
      `${claims.map((c) => `claim ${c.id}: ${c.verdict}`).join("\n")}\n\n` +
      `compute: ${aggregates.compute.runs} runs, ${aggregates.compute.rlSteps} RL steps, ` +
      `${(aggregates.compute.totalWallTimeS / 60).toFixed(1)} min of wall time on ${aggregates.compute.backends.join(", ")}\n` +
      `page:    ${files.doc} (figures in ${files.pngs.length > 0 ? files.pngs[0]!.replace(/[^/\\]+$/, "") : "-"})\n` +
      `data:    ${files.json}\n`,
  );
  return 0;
}
