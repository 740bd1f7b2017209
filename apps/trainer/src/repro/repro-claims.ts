import type { CurvePoint, MethodAggregate, ReproAggregates, SeedStat } from "./aggregate-repro";
import { formatStat, formatValue } from "./format-stat";

export type ClaimVerdict = "holds" | "fails" | "inconclusive";

/** One claim of the paper, tested on the study's aggregates. */
export interface ClaimResult {
  id: 1 | 2 | 3 | 4;
  claim: string;
  verdict: ClaimVerdict;
  /** The numbers the verdict rests on, one statement per line. */
  evidence: string;
  /** Why it failed or could not be decided, as far as the numbers tell. */
  why?: string;
}

/** A part of a test: true / false, or null when the data cannot decide it. */
type Check = boolean | null;

/** `holds` when every part holds, `fails` when any part decidedly fails, else `inconclusive`. */
function verdictOf(checks: readonly Check[]): ClaimVerdict {
  if (checks.some((c) => c === false)) return "fails";
  return checks.every((c) => c === true) ? "holds" : "inconclusive";
}

const pct = (v: number | null | undefined) => formatValue(v, "percent");
const stat = (s: SeedStat) => formatStat(s, "percent");

function mean(values: readonly (number | null)[]): number | null {
  const present = values.filter((v): v is number => v !== null && Number.isFinite(v));
  return present.length === 0 ? null : present.reduce((a, b) => a + b, 0) / present.length;
}

/** Pearson correlation of paired values (pairs with a missing side dropped); null when either side is constant. */
export function pearson(pairs: readonly (readonly [number | null, number | null])[]): number | null {
  const kept = pairs.filter((p): p is [number, number] => p[0] !== null && p[1] !== null);
  if (kept.length < 2) return null;
  const mx = kept.reduce((s, [x]) => s + x, 0) / kept.length;
  const my = kept.reduce((s, [, y]) => s + y, 0) / kept.length;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (const [x, y] of kept) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
    syy += (y - my) ** 2;
  }
  return sxx === 0 || syy === 0 ? null : sxy / Math.sqrt(sxx * syy);
}

/** Whether any run saw a correct answer, in training or on the test split. */
function anyAccuracy(aggregates: ReproAggregates): boolean {
  const finals = [aggregates.sft, ...aggregates.methods.map((m) => m.final)].some(
    (s) => (s.accuracy.mean ?? 0) > 0,
  );
  return finals || aggregates.methods.some((m) => m.curve.some((p) => (p.accuracy ?? 0) > 0));
}

const NO_ACCURACY =
  "no rollout and no test answer was correct in any run: the accuracy channel is all ties and HDPO's tool " +
  "channel needs two correct rollouts in a group, so no method got a learning signal to compare. Train a " +
  "stronger SFT start (more SFT steps or a larger model) before reading anything into these numbers.";

/** The HDPO method with the paper's w_tool (0.15), else the first HDPO method run. */
function primaryHdpo(methods: readonly MethodAggregate[]): MethodAggregate | undefined {
  const hdpo = methods.filter((m) => m.kind === "hdpo");
  return hdpo.find((m) => Math.abs(m.weight - 0.15) < 1e-9) ?? hdpo[0];
}

/** The std of a stat as a tolerance: 0 with a single seed. */
const spread = (s: SeedStat) => s.std ?? 0;

/**
 * Claim 1, the coupled dilemma, on the additive (gated) pair with the smallest and the largest α, against GRPO
 * (the same RL without any tool term):
 * (a) small α barely moves tool use: its unnecessary tool rate stays at least half of GRPO's
 *     (undecided when GRPO's is under 10 %: no room to see a move);
 * (b) large α cuts necessary tool use and accuracy on necessary tasks: its necessary tool rate < 0.9 × GRPO's
 *     AND its necessary accuracy < GRPO's − GRPO's std (undecided when GRPO's necessary accuracy is 0).
 * The per-call penalty (one α) is reported next to it, not tested.
 */
export function claimCoupledDilemma(aggregates: ReproAggregates): ClaimResult {
  const claim =
    "Coupled rewards are a dilemma: a small α barely moves tool use; a large α cuts necessary tool use and accuracy on tool-necessary tasks.";
  const grpo = aggregates.methods.find((m) => m.kind === "grpo");
  const additive = aggregates.methods
    .filter((m) => m.kind === "coupled-additive")
    .sort((a, b) => a.weight - b.weight);
  const small = additive[0];
  const large = additive.length > 1 ? additive[additive.length - 1] : undefined;
  if (grpo === undefined || small === undefined || large === undefined) {
    return {
      id: 1,
      claim,
      verdict: "inconclusive",
      evidence: `runs: ${aggregates.methods.map((m) => m.name).join(", ")}`,
      why: "the test needs GRPO and two additive baselines with different α; not all of them were run.",
    };
  }
  if (!anyAccuracy(aggregates)) {
    return { id: 1, claim, verdict: "inconclusive", evidence: "accuracy 0 in every run", why: NO_ACCURACY };
  }
  const g = grpo.final;
  const gTru = g.toolRateUnnecessary.mean;
  const a: Check =
    gTru === null || gTru < 0.1 || small.final.toolRateUnnecessary.mean === null
      ? null
      : small.final.toolRateUnnecessary.mean >= 0.5 * gTru;
  const lTrn = large.final.toolRateNecessary.mean;
  const lAccN = large.final.accuracyNecessary.mean;
  const gTrn = g.toolRateNecessary.mean;
  const gAccN = g.accuracyNecessary.mean;
  const b: Check =
    lTrn === null || lAccN === null || gTrn === null || gAccN === null || gAccN === 0
      ? null
      : lTrn < 0.9 * gTrn && lAccN < gAccN - spread(g.accuracyNecessary);
  const perCall = aggregates.methods.find((m) => m.kind === "coupled-per-call");
  const lines = [
    `unnecessary tool use: GRPO ${stat(g.toolRateUnnecessary)}, ${small.name} ${stat(small.final.toolRateUnnecessary)}, ${large.name} ${stat(large.final.toolRateUnnecessary)}`,
    `necessary tool use: GRPO ${stat(g.toolRateNecessary)}, ${large.name} ${stat(large.final.toolRateNecessary)}`,
    `necessary accuracy: GRPO ${stat(g.accuracyNecessary)}, ${large.name} ${stat(large.final.accuracyNecessary)}`,
    `(a) small α keeps ≥ 50 % of GRPO's unnecessary tool use: ${describe(a)}; (b) large α cuts necessary tool use below 90 % of GRPO's and necessary accuracy below GRPO's − 1 std: ${describe(b)}`,
  ];
  if (perCall !== undefined) {
    lines.push(
      `${perCall.name} (not tested): unnecessary ${stat(perCall.final.toolRateUnnecessary)}, necessary ${stat(perCall.final.toolRateNecessary)}, necessary accuracy ${stat(perCall.final.accuracyNecessary)}`,
    );
  }
  const why: string[] = [];
  if (a === false) {
    const trainAcc = mean(small.curve.map((p) => p.accuracy));
    why.push(
      `the small α cut unnecessary tool use to ${pct(small.final.toolRateUnnecessary.mean)} (GRPO ${pct(gTru)}). ` +
        "GRPO divides by the group's reward std: in a group whose rollouts are all correct the α term is the only " +
        "variance, so it is rescaled to unit size whatever α is" +
        (trainAcc !== null
          ? ` (mean training accuracy ${pct(trainAcc)}; the more all-correct groups, the stronger this is).`
          : "."),
    );
  }
  if (a === null)
    why.push(`(a) undecided: GRPO's unnecessary tool use is ${pct(gTru)}, too low to show a move.`);
  if (b === false) {
    why.push(
      `the large α left necessary tool use at ${pct(lTrn)} (GRPO ${pct(gTrn)}) and necessary accuracy at ${pct(lAccN)} ` +
        `(GRPO ${pct(gAccN)}). The gated bonus goes to correct rollouts only, and a tool-necessary task is only ` +
        "answered correctly with a tool, so it can favour fewer calls but never zero calls there; only a coupling " +
        "that also rewards wrong rollouts (ungated, per-call penalty) can rank a tool-free wrong answer above a right one.",
    );
  }
  if (b === null) why.push("(b) undecided: GRPO's necessary accuracy is 0 or missing, nothing to cut.");
  return result(1, claim, verdictOf([a, b]), lines, why);
}

/** What the study's runs shared that the explanations depend on. */
export interface ClaimSettings {
  /** Whether groups without a right answer (or, for the tool channel, without signal) were skipped. */
  dynamicSampling: boolean;
}

const DEFAULT_CLAIM_SETTINGS: ClaimSettings = { dynamicSampling: false };

/**
 * Claim 2, HDPO (w_tool 0.15) against its SFT start and GRPO, on the held-out test split:
 * (a) SFT unnecessary tool rate / HDPO's ≥ 10 (HDPO at 0 counts as ∞; undecided when SFT's is 0 or missing);
 * (b) HDPO's necessary tool rate ≥ 0.9 × SFT's;
 * (c) HDPO's accuracy ≥ GRPO's − GRPO's std over seeds.
 */
export function claimHdpoEfficiency(
  aggregates: ReproAggregates,
  settings: ClaimSettings = DEFAULT_CLAIM_SETTINGS,
): ClaimResult {
  const claim =
    "HDPO cuts tool use on tool-unnecessary tasks by ≥ 10× against the SFT start while keeping tool use on necessary tasks and matching or beating GRPO's accuracy.";
  const hdpo = primaryHdpo(aggregates.methods);
  const grpo = aggregates.methods.find((m) => m.kind === "grpo");
  if (hdpo === undefined || grpo === undefined) {
    return {
      id: 2,
      claim,
      verdict: "inconclusive",
      evidence: `runs: ${aggregates.methods.map((m) => m.name).join(", ")}`,
      why: "the test needs an HDPO run and a GRPO run; not both were run.",
    };
  }
  if (!anyAccuracy(aggregates)) {
    return { id: 2, claim, verdict: "inconclusive", evidence: "accuracy 0 in every run", why: NO_ACCURACY };
  }
  const s = aggregates.sft;
  const h = hdpo.final;
  const sTru = s.toolRateUnnecessary.mean;
  const hTru = h.toolRateUnnecessary.mean;
  const ratio =
    sTru === null || hTru === null ? null : hTru === 0 ? (sTru > 0 ? Infinity : null) : sTru / hTru;
  const a: Check = sTru === null || sTru === 0 || ratio === null ? null : ratio >= 10;
  const sTrn = s.toolRateNecessary.mean;
  const hTrn = h.toolRateNecessary.mean;
  const b: Check = sTrn === null || hTrn === null ? null : hTrn >= 0.9 * sTrn;
  const gAcc = grpo.final.accuracy.mean;
  const hAcc = h.accuracy.mean;
  const c: Check = gAcc === null || hAcc === null ? null : hAcc >= gAcc - spread(grpo.final.accuracy);
  const lines = [
    `unnecessary tool use: SFT ${stat(s.toolRateUnnecessary)} → ${hdpo.name} ${stat(h.toolRateUnnecessary)} (a cut of ${ratio === null ? "-" : ratio === Infinity ? "∞" : ratio.toFixed(1)}×; needs ≥ 10×): ${describe(a)}`,
    `necessary tool use: SFT ${stat(s.toolRateNecessary)} → ${stat(h.toolRateNecessary)} (needs ≥ 90 % of SFT's): ${describe(b)}`,
    `accuracy: ${hdpo.name} ${stat(h.accuracy)}, GRPO ${stat(grpo.final.accuracy)}, SFT ${stat(s.accuracy)} (needs ≥ GRPO − 1 std): ${describe(c)}`,
  ];
  const why: string[] = [];
  const rho = mean(hdpo.curve.map((p) => p.rho));
  const trainAcc = mean(hdpo.curve.map((p) => p.accuracy));
  if (a === false) {
    const gTru = grpo.final.toolRateUnnecessary.mean;
    why.push(
      `unnecessary tool use fell only ${ratio?.toFixed(1)}×. The tool channel acts on correct rollouts of groups with ` +
        `two or more of them: ρ averaged ${formatValue(rho, "number")} over training (mean training accuracy ${pct(trainAcc)}), ` +
        `so it shaped ${pct(rho)} of the rollouts per step; GRPO, with no tool term, ended at ${pct(gTru)}.`,
    );
  }
  if (a === null)
    why.push(`(a) undecided: the SFT start's unnecessary tool use is ${pct(sTru)}, nothing to cut.`);
  if (b === false) {
    const necessaryAccuracy = h.accuracyNecessary.mean;
    const gTrn = grpo.final.toolRateNecessary.mean;
    const neverRight = necessaryAccuracy === 0 && s.accuracyNecessary.mean === 0;
    const fell = `necessary tool use fell to ${pct(hTrn)} from ${pct(sTrn)}`;
    // With no correct answer on tool-necessary tasks the tool channel has nothing to act on there. Without dynamic
    // sampling the accuracy channel moved them, through the format term of all-wrong groups; with it those groups
    // are skipped, and the tasks only moved with the updates made on others.
    why.push(
      neverRight && settings.dynamicSampling
        ? `${fell} although no tool-necessary task was ever answered right and dynamic sampling skips the groups ` +
            "without a right answer, so no update was made on those tasks: the policy's tool choice there moved with " +
            "the updates made on the tool-unnecessary tasks, which its features do not tell apart from them. " +
            `GRPO alone ended at ${pct(gTrn)}.`
        : neverRight
          ? `${fell} although no tool-necessary task was ever answered right, so the tool channel had nothing to act ` +
            "on there: the accuracy channel did it. In a group where every rollout is wrong, r_acc = 0.1·r_fmt, and " +
            "GRPO's normalisation turns format differences into full-size advantages; an immediate answer is always " +
            `well formed, a tool call can be garbled. GRPO alone ended at ${pct(gTrn)}.`
          : `${fell}: the tool channel rewards fewer calls among correct rollouts, and where a policy sometimes ` +
            "answers a tool-necessary task right without a tool (a lucky guess, a memorised fact), T = 0 wins its group.",
    );
  }
  if (c === false) {
    why.push(
      `HDPO's accuracy ${pct(hAcc)} is below GRPO's ${pct(gAcc)} by more than GRPO's seed spread; the tool loss ` +
        `(w_tool ${hdpo.weight}, divided by ρ in token-mean) competes with the accuracy loss for the same updates.`,
    );
  }
  return result(2, claim, verdictOf([a, b, c]), lines, why);
}

/** Means of the first and the last quarter of a curve's present values (at least one point each). */
function quarters(curve: readonly CurvePoint[], value: (p: CurvePoint) => number | null) {
  const present = curve.map(value).filter((v): v is number => v !== null);
  const q = Math.max(1, Math.floor(present.length / 4));
  return { n: present.length, first: mean(present.slice(0, q)), last: mean(present.slice(-q)) };
}

/**
 * Claim 3, the implicit curriculum, on the mean curves (over seeds) of HDPO w_tool 0.15:
 * (a) ρ's mean over the first quarter of steps < over the last quarter;
 * (b) the Pearson correlation of ρ with the rollout accuracy over steps > 0.
 * Undecided with fewer than 4 logged steps, or when ρ (or accuracy) never varies.
 */
export function claimImplicitCurriculum(aggregates: ReproAggregates): ClaimResult {
  const claim =
    "The implicit curriculum: ρ (share of rollouts with a tool advantage) starts low and rises as accuracy rises, without any schedule.";
  const hdpo = primaryHdpo(aggregates.methods);
  if (hdpo === undefined) {
    return {
      id: 3,
      claim,
      verdict: "inconclusive",
      evidence: "no HDPO run",
      why: "the test needs an HDPO run.",
    };
  }
  const describeCurve = (m: MethodAggregate) => {
    const r = quarters(m.curve, (p) => p.rho);
    const acc = quarters(m.curve, (p) => p.accuracy);
    const corr = pearson(m.curve.map((p) => [p.rho, p.accuracy] as const));
    return { r, acc, corr };
  };
  const { r, acc, corr } = describeCurve(hdpo);
  const lines = [
    `${hdpo.name}: ρ ${formatValue(r.first, "number")} (first quarter of ${r.n} steps) → ${formatValue(r.last, "number")} (last quarter); ` +
      `training accuracy ${pct(acc.first)} → ${pct(acc.last)}; corr(ρ, accuracy) over steps ${formatValue(corr, "number")}`,
    ...aggregates.methods
      .filter((m) => m.kind === "hdpo" && m !== hdpo)
      .map((m) => {
        const d = describeCurve(m);
        return `${m.name}: ρ ${formatValue(d.r.first, "number")} → ${formatValue(d.r.last, "number")}, corr ${formatValue(d.corr, "number")}`;
      }),
  ];
  if (r.n < 4) {
    return result(3, claim, "inconclusive", lines, [
      `only ${r.n} RL steps were logged; quarters need at least 4.`,
    ]);
  }
  if (hdpo.curve.every((p) => (p.rho ?? 0) === 0)) {
    return result(3, claim, "inconclusive", lines, [
      "ρ was 0 at every step: no group ever had two correct rollouts with different tool counts, so the tool " +
        "channel never switched on." +
        (hdpo.curve.every((p) => (p.accuracy ?? 0) === 0) ? ` ${NO_ACCURACY}` : ""),
    ]);
  }
  const a: Check = r.first === null || r.last === null ? null : r.first < r.last;
  const b: Check = corr === null ? null : corr > 0;
  const why: string[] = [];
  if (a === false || b === false) {
    const tool = quarters(hdpo.curve, (p) => p.toolRateUnnecessary);
    why.push(
      "ρ needs both correct pairs and a spread of tool counts among them. " +
        (acc.last !== null && acc.first !== null && acc.last <= acc.first
          ? `Training accuracy did not rise (${pct(acc.first)} → ${pct(acc.last)}), so there was no curriculum to follow.`
          : `Accuracy rose, but as HDPO makes the correct rollouts' tool counts alike (unnecessary tool use ${pct(tool.first)} → ${pct(tool.last)}) fewer of them get a non-zero tool advantage, which pulls ρ down.`),
    );
  }
  if (b === null) why.push("corr undecided: ρ or accuracy was constant over steps.");
  return result(3, claim, verdictOf([a, b]), lines, why);
}

/**
 * Claim 4, the w_tool ablation over GRPO (w_tool 0) and the HDPO runs, by held-out accuracy:
 * holds when the best mean accuracy is at an interior w_tool and beats both ends by more than the largest std
 * among the points; fails when it is at an end and beats every interior point by more than that; otherwise the
 * differences are within the seed spread and the verdict is inconclusive. The evidence documents the shape,
 * including whether unnecessary tool use falls monotonically with w_tool.
 */
export function claimWToolAblation(aggregates: ReproAggregates): ClaimResult {
  const claim = "The w_tool ablation has the paper's shape: a middle value (0.15 in the paper) is best.";
  const points = aggregates.methods
    .filter((m) => m.kind === "hdpo" || m.kind === "grpo")
    .sort((a, b) => a.weight - b.weight);
  if (points.length < 3) {
    return {
      id: 4,
      claim,
      verdict: "inconclusive",
      evidence: `w_tool values run: ${points.map((m) => m.weight).join(", ") || "none"}`,
      why: "a middle value needs at least three w_tool values (GRPO counts as 0).",
    };
  }
  const shape = points.map(
    (m) =>
      `w_tool ${m.weight.toFixed(2)}: accuracy ${stat(m.final.accuracy)}, unnecessary tool use ${stat(m.final.toolRateUnnecessary)}, necessary ${stat(m.final.toolRateNecessary)}`,
  );
  if (!anyAccuracy(aggregates)) {
    return result(4, claim, "inconclusive", shape, [NO_ACCURACY]);
  }
  const accs = points.map((m) => m.final.accuracy.mean ?? Number.NEGATIVE_INFINITY);
  const best = accs.indexOf(Math.max(...accs));
  const noise = Math.max(...points.map((m) => spread(m.final.accuracy)));
  const ends = [0, points.length - 1];
  const interior = points.map((_, i) => i).filter((i) => !ends.includes(i));
  const margin = (others: number[]) => accs[best]! - Math.max(...others.map((i) => accs[i]!));
  const tru = points.map((m) => m.final.toolRateUnnecessary.mean);
  const monotone = tru.every((v, i) => i === 0 || (v !== null && tru[i - 1] !== null && v <= tru[i - 1]!));
  const lines = [
    ...shape,
    `best accuracy at w_tool ${points[best]!.weight.toFixed(2)}; largest seed std ${pct(noise)}; unnecessary tool use ${monotone ? "falls" : "does not fall"} monotonically with w_tool`,
  ];
  let verdict: ClaimVerdict;
  const why: string[] = [];
  if (!ends.includes(best)) {
    const m = margin(ends);
    verdict = m > noise ? "holds" : "inconclusive";
    if (verdict === "inconclusive") {
      why.push(
        `the best w_tool is interior, but it beats the ends by ${pct(m)}, within the seed spread (${pct(noise)}).`,
      );
    }
  } else {
    const m = margin(interior);
    verdict = m > noise ? "fails" : "inconclusive";
    why.push(
      verdict === "fails"
        ? `the best accuracy is at an end (w_tool ${points[best]!.weight.toFixed(2)}), ${pct(m)} above every middle value, beyond the seed spread (${pct(noise)}). ` +
            (best === 0
              ? "Any tool pressure cost accuracy here: the efficiency gradient competes with a weak policy's accuracy learning."
              : "More tool pressure only helped: the accuracy learning was not limited by the tool term at these strengths.")
        : `the best accuracy is at an end but within the seed spread (${pct(noise)}) of a middle value: the ablation is flat at this scale.`,
    );
  }
  return result(4, claim, verdict, lines, why);
}

function describe(check: Check): string {
  return check === null ? "undecided" : check ? "yes" : "no";
}

function result(
  id: ClaimResult["id"],
  claim: string,
  verdict: ClaimVerdict,
  lines: readonly string[],
  why: readonly string[],
): ClaimResult {
  return {
    id,
    claim,
    verdict,
    evidence: lines.join("\n"),
    ...(verdict !== "holds" && why.length > 0 ? { why: why.join(" ") } : {}),
  };
}

/** The four claims of issue #9, in order. */
export function evaluateClaims(
  aggregates: ReproAggregates,
  settings: ClaimSettings = DEFAULT_CLAIM_SETTINGS,
): ClaimResult[] {
  return [
    claimCoupledDilemma(aggregates),
    claimHdpoEfficiency(aggregates, settings),
    claimImplicitCurriculum(aggregates),
    claimWToolAblation(aggregates),
  ];
}
