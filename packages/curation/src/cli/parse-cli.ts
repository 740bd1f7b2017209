import { parseArgs } from "node:util";
import { DEFAULT_MAX_CONSECUTIVE_INFRA_FAILURES, isHttpUrl } from "@hdpo/agent-loop";
import { STAGE_DESCRIPTIONS, STAGE_NAMES, type StageName } from "../stages/stage";

/** The command line, parsed and checked. */
export interface CliOptions {
  input: string;
  output: string;
  filters: StageName[];
  report?: string;
  rejected?: string;
  journal?: string;
  baseUrl?: string;
  model?: string;
  apiKey?: string;
  judgeBaseUrl?: string;
  judgeModel?: string;
  judgeApiKey?: string;
  k: number;
  band: [number, number];
  thresholds: [number, number, number];
  concurrency: number;
  tolerance: number;
  retryErrors: boolean;
  examples: number;
  quiet: boolean;
  /** Rows in a row that one service (model endpoint, judge) may fail before the run stops. */
  maxInfraFailures: number;
}

/** A command line that cannot run; the bin prints the message and exits 2. */
export class CliUsageError extends Error {
  override readonly name = "CliUsageError";
}

export const HELP = `hdpo-curate: filter a tool-use dataset (JSONL of @hdpo/core Task or Trajectory rows, or reference Parquet)

Usage:
  hdpo-curate --input FILE --output FILE --filters LIST --report DIR [options]

Filters (--filters, comma-separated; they run in this order):
${STAGE_NAMES.map((name) => `  ${name.padEnd(10)} ${STAGE_DESCRIPTIONS[name]}`).join("\n")}

Options:
  --input FILE            rows to curate (.jsonl or .parquet)
  --output FILE           kept rows, in the input's format
  --filters LIST          e.g. hygiene,reexec or hygiene,necessity,mixed,judge
  --report DIR            writes report.md and report.html there
  --rejected FILE         rejected rows with stage and reason (default: rejected.jsonl beside --output)
  --journal FILE          resume journal (default: <output>.journal); rerun the same command to resume
  --base-url URL          OpenAI-compatible endpoint of the base model (necessity, mixed)
  --model M               model id (default: the first id of GET /models)
  --api-key K             bearer key (default: $HDPO_API_KEY or EMPTY)
  --judge-base-url URL    OpenAI-compatible endpoint of the judge (judge; also answers when given)
  --judge-model M         judge model id (default: the first id of GET /models)
  --judge-api-key K       judge key (default: $HDPO_JUDGE_API_KEY or EMPTY)
  --k N                   attempts per task for necessity and mixed (default 8)
  --band LOW,HIGH         mixed keeps success rates strictly inside (default 0,1)
  --thresholds V,R,T      judge minimum scores: visual relevance, reasoning coherence, tool-use rationale (default 3,3,3)
  --concurrency N         model calls / sandbox sessions at once per stage (default 4)
  --tolerance X           relative tolerance for numbers when re-executing (default 1e-6)
  --retry-errors          decide again rows that ended in an error in an earlier run
  --examples N            examples per rejection reason in the report (default 5)
  --max-infra-failures N  stop after N rows in a row could not be decided because the model endpoint or the
                          judge failed (default 5); such rows are never rejected and are decided on the next run
  --quiet                 no progress on stderr
  --help                  this text
`;

/** Parses argv (without node and script); `"help"` when --help was asked. */
export function parseCli(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): CliOptions | "help" {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        input: { type: "string" },
        output: { type: "string" },
        filters: { type: "string" },
        report: { type: "string" },
        rejected: { type: "string" },
        journal: { type: "string" },
        "base-url": { type: "string" },
        model: { type: "string" },
        "api-key": { type: "string" },
        "judge-base-url": { type: "string" },
        "judge-model": { type: "string" },
        "judge-api-key": { type: "string" },
        k: { type: "string" },
        band: { type: "string" },
        thresholds: { type: "string" },
        concurrency: { type: "string" },
        tolerance: { type: "string" },
        "retry-errors": { type: "boolean" },
        examples: { type: "string" },
        "max-infra-failures": { type: "string" },
        quiet: { type: "boolean" },
        help: { type: "boolean" },
      },
    }));
  } catch (error) {
    throw new CliUsageError(`${(error as Error).message} (see --help)`);
  }
  if (values.help) return "help";
  const text = (name: string) => values[name] as string | undefined;
  const required = (name: string) => {
    const value = text(name);
    if (value === undefined || value === "") throw new CliUsageError(`--${name} is required (see --help).`);
    return value;
  };
  const filters = required("filters")
    .split(",")
    .map((name) => name.trim())
    .filter((name) => name !== "");
  for (const name of filters) {
    if (!(STAGE_NAMES as readonly string[]).includes(name)) {
      throw new CliUsageError(
        `--filters: unknown filter "${name}"; the filters are ${STAGE_NAMES.join(", ")}.`,
      );
    }
  }
  if (filters.length === 0)
    throw new CliUsageError(`--filters: give at least one of ${STAGE_NAMES.join(", ")}.`);
  if (new Set(filters).size !== filters.length)
    throw new CliUsageError("--filters: a filter is listed twice.");
  const needsModel = filters.some((name) => name === "necessity" || name === "mixed");
  if (needsModel && text("base-url") === undefined) {
    throw new CliUsageError(
      "--filters necessity/mixed need --base-url (an OpenAI-compatible endpoint of the base model).",
    );
  }
  if (filters.includes("judge") && text("judge-base-url") === undefined) {
    throw new CliUsageError(
      "--filters judge needs --judge-base-url (an OpenAI-compatible endpoint of the judge).",
    );
  }
  const band = numbers("band", text("band") ?? "0,1", 2) as [number, number];
  if (!(band[0] >= 0 && band[1] <= 1 && band[0] < band[1])) {
    throw new CliUsageError(`--band must be LOW,HIGH with 0 <= LOW < HIGH <= 1, got ${text("band")}.`);
  }
  const thresholds = numbers("thresholds", text("thresholds") ?? "3,3,3", 3) as [number, number, number];
  if (thresholds.some((t) => !(t >= 1 && t <= 5)))
    throw new CliUsageError("--thresholds must be three numbers within 1..5.");
  const tolerance = Number(text("tolerance") ?? "1e-6");
  if (!(tolerance >= 0))
    throw new CliUsageError(`--tolerance must be a non-negative number, got ${text("tolerance")}.`);
  const options: CliOptions = {
    input: required("input"),
    output: required("output"),
    filters: filters as StageName[],
    k: positiveInt("k", text("k") ?? "8"),
    band,
    thresholds,
    concurrency: positiveInt("concurrency", text("concurrency") ?? "4"),
    tolerance,
    retryErrors: values["retry-errors"] === true,
    examples: positiveInt("examples", text("examples") ?? "5"),
    quiet: values.quiet === true,
    maxInfraFailures: positiveInt(
      "max-infra-failures",
      text("max-infra-failures") ?? String(DEFAULT_MAX_CONSECUTIVE_INFRA_FAILURES),
    ),
  };
  for (const flag of ["base-url", "judge-base-url"]) {
    const value = text(flag);
    if (value !== undefined) httpUrl(flag, value);
  }
  const optional: [keyof CliOptions, string | undefined][] = [
    ["report", text("report")],
    ["rejected", text("rejected")],
    ["journal", text("journal")],
    ["baseUrl", text("base-url")],
    ["model", text("model")],
    ["apiKey", text("api-key") ?? env.HDPO_API_KEY],
    ["judgeBaseUrl", text("judge-base-url")],
    ["judgeModel", text("judge-model")],
    ["judgeApiKey", text("judge-api-key") ?? env.HDPO_JUDGE_API_KEY],
  ];
  for (const [key, value] of optional)
    if (value !== undefined) (options as unknown as Record<string, string>)[key] = value;
  return options;
}

/** Throws the usage error for a value that is not an http(s) URL (the client would throw a stack trace later). */
function httpUrl(name: string, value: string): void {
  if (!isHttpUrl(value)) {
    throw new CliUsageError(
      `--${name} must be an http(s) URL like http://127.0.0.1:8000/v1, got "${value}".`,
    );
  }
}

function positiveInt(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new CliUsageError(`--${name} must be a positive integer, got "${value}".`);
  return n;
}

function numbers(name: string, value: string, count: number): number[] {
  const parts = value.split(",").map((part) => Number(part.trim()));
  if (parts.length !== count || parts.some((n) => !Number.isFinite(n))) {
    throw new CliUsageError(`--${name} must be ${count} comma-separated numbers, got "${value}".`);
  }
  return parts;
}
