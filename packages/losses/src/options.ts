import { LossError } from "./losses-error";

/** The aggregation modes of verl's `agg_loss`, in the reference's spelling. */
export const AGG_MODES = [
  "token-mean",
  "seq-mean-token-sum",
  "seq-mean-token-mean",
  "seq-mean-token-sum-norm",
] as const;

/**
 * How the per-token losses `loss[b][t]` become one number (M = mask, L = number of columns):
 * - `token-mean`: Σ loss·M / Σ M;
 * - `seq-mean-token-sum`: mean, over the rows with at least one mask token, of the row's Σ loss·M;
 * - `seq-mean-token-mean`: the same mean of the row's Σ loss·M / Σ M;
 * - `seq-mean-token-sum-norm`: Σ loss·M / L.
 * An empty mask (or no row with a mask token) gives 0.
 */
export type AggMode = (typeof AGG_MODES)[number];

/** Options of the clipped surrogate (verl's `compute_policy_loss` with dual clip, then `agg_loss`). */
export interface SurrogateOptions {
  /** ε_low: the ratio is clipped below at 1 − clipLow. Default 0.2; must be ≥ 0. */
  clipLow?: number;
  /** ε_high: the ratio is clipped above at 1 + clipHigh. Default 0.2; must be ≥ 0. */
  clipHigh?: number;
  /** Dual-clip constant c: where A < 0 the loss is capped at −A·c. Default 3; must be > 1. */
  clipC?: number;
  /** How per-token losses are aggregated. Default `"token-mean"`. */
  aggMode?: AggMode;
}

/** Options of the HDPO loss: the surrogate's options plus the two channel weights. */
export interface HdpoLossOptions extends SurrogateOptions {
  /** w_acc, the weight of the accuracy channel. Default 1; must be ≥ 0. */
  wAcc?: number;
  /** w_tool, the weight of the tool-efficiency channel. Default 0.15 (the paper's best); must be ≥ 0. */
  wTool?: number;
}

/** The reference's defaults: clip 0.2/0.2, dual clip 3, token-mean, w_acc = 1, w_tool = 0.15. */
export const DEFAULT_HDPO_LOSS_OPTIONS: Readonly<Required<HdpoLossOptions>> = {
  clipLow: 0.2,
  clipHigh: 0.2,
  clipC: 3,
  aggMode: "token-mean",
  wAcc: 1,
  wTool: 0.15,
};

/** Surrogate options with every default filled in and every value checked. */
export type ResolvedSurrogateOptions = Required<SurrogateOptions>;

/** HDPO options with every default filled in and every value checked. */
export type ResolvedHdpoLossOptions = Required<HdpoLossOptions>;

/**
 * Fills in the defaults and checks every surrogate option.
 *
 * @throws LossError naming the function and the option when a value is out of range.
 */
export function resolveSurrogateOptions(options: SurrogateOptions, fn: string): ResolvedSurrogateOptions {
  if (typeof options !== "object" || options === null) {
    throw new LossError(`${fn}: options must be an object, got ${String(options)}.`);
  }
  const clipLow = options.clipLow ?? DEFAULT_HDPO_LOSS_OPTIONS.clipLow;
  const clipHigh = options.clipHigh ?? DEFAULT_HDPO_LOSS_OPTIONS.clipHigh;
  const clipC = options.clipC ?? DEFAULT_HDPO_LOSS_OPTIONS.clipC;
  const aggMode = options.aggMode ?? DEFAULT_HDPO_LOSS_OPTIONS.aggMode;
  assertNonNegative(clipLow, fn, "clipLow");
  assertNonNegative(clipHigh, fn, "clipHigh");
  if (typeof clipC !== "number" || !Number.isFinite(clipC) || !(clipC > 1)) {
    // verl asserts clip_ratio_c > 1: at c ≤ 1 the cap −A·c would undercut the unclipped loss at ratio 1.
    throw new LossError(`${fn}: clipC must be a finite number > 1 (verl asserts it), got ${String(clipC)}.`);
  }
  if (!(AGG_MODES as readonly unknown[]).includes(aggMode)) {
    throw new LossError(
      `${fn}: aggMode must be one of ${AGG_MODES.map((m) => `"${m}"`).join(", ")}, got ${JSON.stringify(aggMode)}.`,
    );
  }
  return { clipLow, clipHigh, clipC, aggMode };
}

/**
 * Fills in the defaults and checks every HDPO option.
 *
 * @throws LossError naming the function and the option when a value is out of range.
 */
export function resolveHdpoLossOptions(options: HdpoLossOptions, fn: string): ResolvedHdpoLossOptions {
  const surrogate = resolveSurrogateOptions(options, fn);
  const wAcc = options.wAcc ?? DEFAULT_HDPO_LOSS_OPTIONS.wAcc;
  const wTool = options.wTool ?? DEFAULT_HDPO_LOSS_OPTIONS.wTool;
  assertNonNegative(wAcc, fn, "wAcc");
  assertNonNegative(wTool, fn, "wTool");
  return { ...surrogate, wAcc, wTool };
}

function assertNonNegative(value: unknown, fn: string, name: string): asserts value is number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new LossError(`${fn}: ${name} must be a finite number ≥ 0, got ${String(value)}.`);
  }
}
