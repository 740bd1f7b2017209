/**
 * The argument of HDPO, executable: on simulated groups, a coupled reward (accuracy and tool use mixed
 * into one scalar before GRPO) either barely rewards efficiency or lets it override correctness, while
 * HDPO's decoupled advantages do neither; and HDPO's tool signal switches on as accuracy rises.
 *
 *   pnpm demo                   print the tables
 *   pnpm demo --write-docs      also rewrite the generated block of docs/hdpo-math.md
 */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { COUPLED_KINDS, coupledAdvantages, hdpoAdvantages } from "../src/index";
import { discouragedCorrectShare, efficiencyCorrelation, overriddenPairShare } from "./coupling-metrics";
import { replaceGeneratedBlock } from "./generated-block";
import { markdownTable } from "./markdown-table";
import { mulberry32 } from "./mulberry32";
import { type SimulatedBatch, simulateBatch } from "./simulate-batch";

const SEED = 20_240_611;
const GROUP_SIZE = 16;
const PROMPTS = 2_000;
/** The brief's four weights, then two larger ones to show where the additive kinds break too. */
const ALPHAS = [0.01, 0.05, 0.1, 0.3, 1, 3];
/** The reference's default weight of the tool loss (w_acc = 1). */
const TOOL_LOSS_WEIGHT = 0.15;
const ACCURACIES = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];
const DOCS_PAGE = fileURLToPath(new URL("../../../docs/hdpo-math.md", import.meta.url));
const COMMAND = "`pnpm demo --write-docs` (= `tsx scripts/demo.ts --write-docs` in packages/advantages)";

const signed = (x: number) => (x >= 0 ? "+" : "−") + Math.abs(x).toFixed(2);
const percent = (x: number) => `${(100 * x).toFixed(1)}%`;

function couplingSection(batch: SimulatedBatch): string {
  const { correct, toolCalls, groupIds } = batch;
  const hdpo = hdpoAdvantages(batch);
  // With token-mean aggregation the tool loss is averaged over the tokens of the ρ·N qualifying rows
  // only, so at the first step (no clipping) and with equal response lengths a token of a qualifying
  // row is pushed with weight w_acc·A_acc + (w_tool/ρ)·A_tool, relative to the accuracy loss alone.
  const toolScale = TOOL_LOSS_WEIGHT / hdpo.stats.qualifyingRatio;
  const combined = hdpo.accuracy.map((a, i) => a + toolScale * hdpo.tool[i]);
  const rows: string[][] = [
    [
      "HDPO, separate channels",
      "—",
      signed(efficiencyCorrelation(hdpo.tool, correct, toolCalls)),
      percent(overriddenPairShare(hdpo.accuracy, correct, groupIds)),
      percent(discouragedCorrectShare(hdpo.accuracy, correct, groupIds)),
    ],
    [
      `HDPO combined (w_tool = ${TOOL_LOSS_WEIGHT})`,
      "—",
      signed(efficiencyCorrelation(combined, correct, toolCalls)),
      percent(overriddenPairShare(combined, correct, groupIds)),
      percent(discouragedCorrectShare(combined, correct, groupIds)),
    ],
  ];
  for (const kind of COUPLED_KINDS) {
    for (const alpha of ALPHAS) {
      const a = coupledAdvantages(kind, batch, alpha);
      rows.push([
        kind,
        String(alpha),
        signed(efficiencyCorrelation(a, correct, toolCalls)),
        percent(overriddenPairShare(a, correct, groupIds)),
        percent(discouragedCorrectShare(a, correct, groupIds)),
      ]);
    }
  }
  const table = markdownTable(
    ["advantage", "α", "corr(A, −T) on correct", "overridden pairs", "correct pushed down"],
    rows,
  );
  return [
    `### 1. Coupled rewards vs HDPO (${PROMPTS} prompts × G = ${GROUP_SIZE})`,
    "",
    table,
    "",
    "- **corr(A, −T) on correct**: Pearson correlation, pooled over all groups, between a correct rollout's",
    "  advantage and −T (higher = fewer tool calls rewarded more). Row `HDPO, separate channels` uses",
    "  A_tool in this column and A_acc in the next two.",
    "- **overridden pairs**: share of within-group (correct, incorrect) pairs where the incorrect rollout",
    "  gets an advantage ≥ the correct one's. For HDPO's accuracy advantage: 0 by construction.",
    "- **correct pushed down**: share of correct rollouts in mixed groups (some right, some wrong) whose",
    "  advantage is negative, i.e. a right answer is made less likely while a wrong alternative exists.",
    `- **HDPO combined**: the first-step per-token weight A_acc + (w_tool/ρ)·A_tool (ρ = ${hdpo.stats.qualifyingRatio.toFixed(3)}`,
    "  here): token-mean, equal response lengths, no clipping yet; the tool loss averages over the",
    "  qualifying rows only, hence the 1/ρ.",
  ].join("\n");
}

function curriculumSection(): string {
  const random = mulberry32(SEED + 1);
  const rows = ACCURACIES.map((p) => {
    const { stats } = hdpoAdvantages(
      simulateBatch({ prompts: PROMPTS, groupSize: GROUP_SIZE, random, accuracy: p }),
    );
    return [
      p.toFixed(1),
      percent(stats.accuracy),
      percent(stats.groupsWithQualifyingPair / stats.groups),
      percent(stats.qualifyingRatio),
      percent(stats.zeroAccuracyVarianceGroups / stats.groups),
    ];
  });
  const table = markdownTable(
    [
      "p(correct)",
      "accuracy",
      "groups with ≥ 2 correct",
      "ρ (non-zero A_tool)",
      "groups without accuracy signal",
    ],
    rows,
  );
  return [
    `### 2. The implicit curriculum (${PROMPTS} prompts × G = ${GROUP_SIZE} per row, every prompt at the same p)`,
    "",
    table,
    "",
    "- **ρ**: share of rollouts with a non-zero tool advantage, the rows the tool loss is taken over.",
    "  It stays below the accuracy because a group with fewer than 2 correct rollouts, or whose correct",
    "  rollouts all used the same T, gives 0 tool advantage.",
    "- **groups without accuracy signal**: all 16 rollouts equally rewarded, so every A_acc is 0.",
  ].join("\n");
}

function report(): string {
  const batch = simulateBatch({ prompts: PROMPTS, groupSize: GROUP_SIZE, random: mulberry32(SEED) });
  return [
    `Generated by ${COMMAND}, seed ${SEED}. ` +
      "Per prompt p(correct) ~ U(0.05, 0.95) (fixed in table 2) and tool propensity u ~ U(0.2, 0.9); " +
      "per rollout T = 0 with probability 1 − u, else T ~ U{1, …, 4}; format score 1.",
    "",
    couplingSection(batch),
    "",
    curriculumSection(),
  ].join("\n");
}

function main(argv: readonly string[]): void {
  const flags = argv.filter((a) => a !== "--");
  const unknown = flags.filter((a) => a !== "--write-docs");
  if (unknown.length > 0) {
    console.error(`unknown argument ${unknown.join(" ")}; usage: tsx scripts/demo.ts [--write-docs]`);
    process.exit(2);
  }
  const text = report();
  console.log(text);
  if (flags.includes("--write-docs")) {
    writeFileSync(DOCS_PAGE, replaceGeneratedBlock(readFileSync(DOCS_PAGE, "utf8"), text));
    console.log(`\nwrote the generated block of ${DOCS_PAGE}`);
  }
}

main(process.argv.slice(2));
