import type { BackendName } from "@hdpo/tensor";
import type { EvalResult } from "./eval-result";
import { formatRate } from "./format-rate";

/** `summary.json`: the held-out test split before (SFT) and after (HDPO) RL, plus how the run went. */
export interface RunSummary {
  sft: EvalResult;
  hdpo: EvalResult;
  /** Wall time of the whole run in seconds, summed over resumed sessions. */
  wallTimeS: number;
  backend: BackendName;
  /**
   * The learner every update went through; for a remote one also its URL and the protocol version the client was
   * written against (e.g. `skyrl@a9564572e`).
   */
  learner: { kind: string; baseModel: string; protocol?: string; url?: string };
  seed: number;
  preset: string | null;
  /** Optimiser steps: SFT on the demonstrations, the copy warm-up before it (`sft.copyWarmupSteps`), HDPO. */
  steps: { sft: number; copyWarmup: number; rl: number };
  /** RL steps that failed as a whole (each was skipped; the run went on). */
  failedRlSteps: number;
  resumed: boolean;
  /** The run whose SFT policy this run started from (`--from-sft`), or null when it trained its own. */
  fromSft: string | null;
  finalCheckpoint: string;
  finishedAt: string;
}

const ROWS: readonly [string, (e: EvalResult) => string][] = [
  ["accuracy", (e) => formatRate(e.accuracy)],
  ["tool use, unnecessary", (e) => formatRate(e.toolRateUnnecessary)],
  ["tool use, necessary", (e) => formatRate(e.toolRateNecessary)],
  ["mean T", (e) => (e.meanToolCalls === null ? "-" : e.meanToolCalls.toFixed(2))],
  ["n", (e) => String(e.n)],
];

/** The before/after table printed at the end of a run (plain text, aligned). */
export function beforeAfterTable(sft: EvalResult, hdpo: EvalResult): string {
  const width = Math.max(...ROWS.map(([label]) => label.length));
  const header = `${"held-out test".padEnd(width)}  ${"SFT".padStart(8)}  ${"HDPO".padStart(8)}`;
  const rows = [...ROWS];
  // Shown only when a service failed: the rates then leave those tasks out.
  if (notScored(sft) + notScored(hdpo) > 0) rows.push(["not scored", (e) => String(notScored(e))]);
  const lines = rows.map(
    ([label, value]) => `${label.padEnd(width)}  ${value(sft).padStart(8)}  ${value(hdpo).padStart(8)}`,
  );
  return [header, "-".repeat(header.length), ...lines].join("\n");
}

/** Test tasks a failing service kept from being scored (0 for results written before this was recorded). */
function notScored(result: EvalResult): number {
  const counts = result.notScored;
  return counts === undefined ? 0 : counts["tool-server"] + counts.model + counts.judge;
}
