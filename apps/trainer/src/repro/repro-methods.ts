import type { AdvantageMode } from "@hdpo/trainer";
import { TrainerAppError } from "../trainer-app-error";

/** What a method is, for the claims: which runs play GRPO, HDPO and the coupled baselines. */
export type ReproMethodKind = "grpo" | "hdpo" | "coupled-additive" | "coupled-per-call";

/** One arm of the reproduction study: a name (a folder name and a `--methods` value) and its RL settings. */
export interface ReproMethod {
  name: string;
  label: string;
  kind: ReproMethodKind;
  /** Merged over the base config's `rl` section; everything else (data, SFT, step counts) stays shared. */
  rl: { advantage: AdvantageMode; wTool: number };
}

/**
 * The methods of issue #9, in the order they run (the first of a seed trains the SFT policy the others start from).
 *
 * The coupled α values come from hdpo-math.md §5, table 1 (corr(A, −T) among correct rollouts, and the share of
 * correct rollouts in mixed groups pushed down):
 * - additive-gated α = 0.05 is "small": corr only +0.11, nobody pushed down; the tool term is about noise next to
 *   the accuracy gap, so it should barely move tool use.
 * - additive-gated α = 1 is "large": corr +0.52 (closer to HDPO's separate channel, +0.81) but 12 % of correct
 *   rollouts in mixed groups get a negative advantage, so necessary tool calls and accuracy should suffer.
 * - per-call penalty α = 0.3: the value where it reaches the tool channel's correlation (+0.81), with 6 % of
 *   right/wrong pairs already overridden and 24 % of correct rollouts pushed down.
 * Coupled and GRPO runs ignore w_tool; it is set to 0 so that their config.json says so.
 */
export const REPRO_METHODS: readonly ReproMethod[] = [
  { name: "grpo", label: "GRPO (w_tool = 0)", kind: "grpo", rl: { advantage: "grpo", wTool: 0 } },
  { name: "hdpo-w0.10", label: "HDPO w_tool = 0.10", kind: "hdpo", rl: { advantage: "hdpo", wTool: 0.1 } },
  { name: "hdpo-w0.15", label: "HDPO w_tool = 0.15", kind: "hdpo", rl: { advantage: "hdpo", wTool: 0.15 } },
  { name: "hdpo-w0.20", label: "HDPO w_tool = 0.20", kind: "hdpo", rl: { advantage: "hdpo", wTool: 0.2 } },
  {
    name: "additive-a0.05",
    label: "additive (gated), α = 0.05",
    kind: "coupled-additive",
    rl: { advantage: { coupled: "additive-gated", alpha: 0.05 }, wTool: 0 },
  },
  {
    name: "additive-a1",
    label: "additive (gated), α = 1",
    kind: "coupled-additive",
    rl: { advantage: { coupled: "additive-gated", alpha: 1 }, wTool: 0 },
  },
  {
    name: "per-call-a0.3",
    label: "per-call penalty, α = 0.3",
    kind: "coupled-per-call",
    rl: { advantage: { coupled: "per-call-penalty", alpha: 0.3 }, wTool: 0 },
  },
];

/** The α of a coupled method, or null for GRPO and HDPO. */
export function couplingAlpha(method: ReproMethod): number | null {
  const { advantage } = method.rl;
  return typeof advantage === "object" ? advantage.alpha : null;
}

/**
 * The methods named in `names` (a `--methods` list), in the order given; all of them when `names` is undefined.
 *
 * @throws TrainerAppError for an unknown or repeated name, naming the known ones.
 */
export function selectReproMethods(names?: readonly string[]): ReproMethod[] {
  if (names === undefined) return [...REPRO_METHODS];
  if (names.length === 0) throw new TrainerAppError("--methods needs at least one method name.");
  const known = REPRO_METHODS.map((m) => m.name);
  return names.map((name, index) => {
    const method = REPRO_METHODS.find((m) => m.name === name);
    if (method === undefined) {
      throw new TrainerAppError(`unknown method "${name}": use some of ${known.join(", ")}.`);
    }
    if (names.indexOf(name) !== index) throw new TrainerAppError(`method "${name}" is named twice.`);
    return method;
  });
}
