import type { Learner, LearnerAdamParams, TrajectoryTokens } from "@hdpo/core";
import { type HdpoLossReferenceResult, hdpoLossReference } from "@hdpo/losses";
import { learnerDatum, responseValues } from "./learner-datum";
import type { RlSettings } from "./trainer-config";
import { TrainerError } from "./trainer-error";

/** One rollout ready for the update: its token record and its two advantages. */
export interface PolicySample {
  tokens: TrajectoryTokens;
  accuracyAdvantage: number;
  toolAdvantage: number;
}

/** Means over the step's mini-batch updates (0 when there was none). */
export interface UpdateMetrics {
  updates: number;
  loss: number;
  lossAcc: number;
  lossTool: number;
  clipFractionAcc: number;
  clipFractionTool: number;
  /** Low-variance KL (k3) to the reference policy; 0 without one. */
  kl: number;
  /**
   * The policy's entropy on the model's tokens, estimated as the token-mean −log π_θ of the sampled tokens (unbiased
   * on-policy): a learner returns log-probs of targets, not whole distributions.
   */
  entropy: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  /** Mean |log π_θ − log π_old| on the first update's tokens: 0 when the sampling and training views agree. */
  logProbMismatch: number;
  /** Model tokens (lossMask 1) in the step. */
  tokens: number;
}

/** What the update needs besides the samples. */
export interface UpdateContext {
  learner: Learner;
  /** Frozen reference for the KL term (its `forward` only); needed only when `klCoef` > 0. */
  reference?: Learner;
  /** w_tool as the advantage mode resolved it (0 for GRPO and coupled baselines). */
  toolWeight: number;
  /** Seed of the mini-batch shuffles. */
  seed: number;
}

type Settings = Pick<
  RlSettings,
  | "ppoEpochs"
  | "miniBatchSize"
  | "wAcc"
  | "clipLow"
  | "clipHigh"
  | "clipC"
  | "aggMode"
  | "klCoef"
  | "entropyCoef"
  | "gradClip"
  | "oldLogProbs"
  | "learningRate"
  | "adam"
  | "temperature"
>;

/** Per-sample host data that stay fixed across epochs. */
interface Prepared {
  sample: PolicySample;
  oldLogProbs: number[];
  referenceLogProbs?: number[];
}

/**
 * PPO epochs over mini-batches with the HDPO loss (dual-clipped surrogates of A_acc and A_tool combined as
 * w_acc·L_acc + w_tool·L_tool), plus `klCoef`·KL(π‖π_ref) and − `entropyCoef`·entropy, each mini-batch one learner
 * step by the custom-loss route (spec: tinker-api.md §4.3): `forward` for log π_θ, the loss's exact per-token
 * gradient dL/dlogp from the float64 reference, `forwardBackward` with weights −dL/dlogp, `optimStep`. π_old is the
 * rollout's sampling log-probs, or (with `oldLogProbs: "recompute"`) one forward pass over the same tokens first.
 */
export async function ppoUpdate(
  samples: readonly PolicySample[],
  context: UpdateContext,
  settings: Settings,
): Promise<UpdateMetrics> {
  const tokens = samples.reduce((n, s) => n + s.tokens.lossMask.reduce<number>((a, m) => a + m, 0), 0);
  const totals = {
    loss: 0,
    lossAcc: 0,
    lossTool: 0,
    clipFractionAcc: 0,
    clipFractionTool: 0,
    kl: 0,
    entropy: 0,
    gradNorm: 0,
  };
  if (samples.length === 0 || tokens === 0) {
    return { updates: 0, ...totals, logProbMismatch: 0, tokens };
  }
  if (settings.entropyCoef > 0 && !context.learner.info.capabilities.entropy) {
    throw new TrainerError(
      `rl.entropyCoef is ${settings.entropyCoef}, but the ${context.learner.info.kind} learner cannot compute an ` +
        "entropy bonus (it returns log-probs of targets only); set rl.entropyCoef to 0.",
    );
  }
  const size = settings.miniBatchSize ?? samples.length;
  const prepared: Prepared[] = samples.map((sample) => ({
    sample,
    oldLogProbs: [...sample.tokens.logProbs],
  }));
  if (settings.oldLogProbs === "recompute") {
    await fillLogProbs(context.learner, prepared, size, "oldLogProbs", settings.temperature);
  }
  if (settings.klCoef > 0 && context.reference !== undefined) {
    await fillLogProbs(context.reference, prepared, size, "referenceLogProbs", settings.temperature);
  }
  let updates = 0;
  let logProbMismatch = Number.NaN;
  let shuffleState = context.seed >>> 0;
  for (let epoch = 0; epoch < settings.ppoEpochs; epoch++) {
    const order = prepared.map((_, i) => i);
    // A seeded Fisher-Yates (LCG) so the mini-batches, and so the run, are reproducible.
    for (let i = order.length - 1; i > 0; i--) {
      shuffleState = (Math.imul(shuffleState, 1664525) + 1013904223) >>> 0;
      const j = shuffleState % (i + 1);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    for (let start = 0; start < order.length; start += size) {
      const batch = order.slice(start, start + size).map((i) => prepared[i]!);
      if (!batch.some((p) => p.sample.tokens.lossMask.includes(1))) continue;
      const result = await miniBatchUpdate(batch, context, settings);
      if (Number.isNaN(logProbMismatch)) logProbMismatch = result.mismatch;
      updates++;
      totals.loss += result.loss;
      totals.lossAcc += result.lossAcc;
      totals.lossTool += result.lossTool;
      totals.clipFractionAcc += result.clipFractionAcc;
      totals.clipFractionTool += result.clipFractionTool;
      totals.kl += result.kl;
      totals.entropy += result.entropy;
      totals.gradNorm += result.gradNorm;
    }
  }
  const mean = (v: number): number => (updates === 0 ? 0 : v / updates);
  return {
    updates,
    loss: mean(totals.loss),
    lossAcc: mean(totals.lossAcc),
    lossTool: mean(totals.lossTool),
    clipFractionAcc: mean(totals.clipFractionAcc),
    clipFractionTool: mean(totals.clipFractionTool),
    kl: mean(totals.kl),
    entropy: mean(totals.entropy),
    gradNorm: mean(totals.gradNorm),
    logProbMismatch: Number.isNaN(logProbMismatch) ? 0 : logProbMismatch,
    tokens,
  };
}

/** The learner's log-probs of each sample's response tokens (no gradient), stored per sample. */
async function fillLogProbs(
  learner: Learner,
  prepared: Prepared[],
  size: number,
  field: "oldLogProbs" | "referenceLogProbs",
  temperature: number,
): Promise<void> {
  for (let start = 0; start < prepared.length; start += size) {
    const batch = prepared.slice(start, start + size);
    const scored = await responseLogProbs(learner, batch, temperature);
    batch.forEach((p, b) => {
      p[field] = scored[b]!;
    });
  }
}

async function responseLogProbs(
  learner: Learner,
  batch: readonly Prepared[],
  temperature: number,
): Promise<number[][]> {
  const { logProbs } = await learner.forward(
    batch.map((p) => learnerDatum(p.sample.tokens, [])),
    { temperature },
  );
  return batch.map((p, b) => responseValues(p.sample.tokens, logProbs[b]!));
}

/** One mini-batch update's share of `UpdateMetrics`, plus its log-prob mismatch. */
type MiniBatchResult = Omit<UpdateMetrics, "updates" | "logProbMismatch" | "tokens"> & { mismatch: number };

async function miniBatchUpdate(
  batch: readonly Prepared[],
  context: UpdateContext,
  settings: Settings,
): Promise<MiniBatchResult> {
  const { learner } = context;
  const logProb = await responseLogProbs(learner, batch, settings.temperature);
  const loss = customLoss(
    {
      logProb,
      oldLogProb: batch.map((p) => p.oldLogProbs),
      mask: batch.map((p) => p.sample.tokens.lossMask),
      accuracyAdvantages: batch.map((p) => p.sample.accuracyAdvantage),
      toolAdvantages: batch.map((p) => p.sample.toolAdvantage),
      ...(settings.klCoef > 0 ? { referenceLogProb: batch.map((p) => p.referenceLogProbs ?? []) } : {}),
    },
    settings,
    context.toolWeight,
  );
  const tokens = loss.maskedTokens;
  const entropyWeight = settings.entropyCoef / tokens;
  const data = batch.map((p, b) =>
    learnerDatum(
      p.sample.tokens,
      loss.weights[b]!,
      settings.entropyCoef > 0 ? p.sample.tokens.lossMask.map((m) => m * entropyWeight) : undefined,
    ),
  );
  await learner.forwardBackward(data, { temperature: settings.temperature });
  const step = await learner.optimStep(adamParams(settings));
  let mismatch = 0;
  let nll = 0;
  batch.forEach((p, b) => {
    p.sample.tokens.lossMask.forEach((m, t) => {
      if (m === 0) return;
      mismatch += Math.abs(logProb[b]![t]! - p.oldLogProbs[t]!);
      nll -= logProb[b]![t]!;
    });
  });
  const entropy = nll / tokens;
  const { reference } = loss;
  return {
    loss: reference.loss + settings.klCoef * loss.kl - settings.entropyCoef * entropy,
    lossAcc: reference.lossAcc,
    lossTool: reference.lossTool,
    clipFractionAcc: reference.clipFractionAcc,
    clipFractionTool: reference.clipFractionTool,
    kl: loss.kl,
    entropy,
    gradNorm: step.gradNorm,
    mismatch: mismatch / tokens,
  };
}

/** A mini-batch as the custom loss sees it: per-response-token rows (ragged), advantages per row. */
export interface CustomLossBatch {
  /** log π_θ of each response token, as the learner's `forward` gave them. */
  logProb: readonly (readonly number[])[];
  oldLogProb: readonly (readonly number[])[];
  /** 1 on model tokens, 0 on observation tokens. */
  mask: readonly (readonly number[])[];
  accuracyAdvantages: readonly number[];
  toolAdvantages: readonly number[];
  /** log π_ref of each response token, for the KL term. */
  referenceLogProb?: readonly (readonly number[])[];
}

/** The custom loss's value parts and the learner weights that carry its gradient. */
export interface CustomLoss {
  /** −dL/dlogp per response token (0 off the mask): `forwardBackward` weights, since the learner minimises Σ −w·logp. */
  weights: number[][];
  /** The HDPO dual loss and its parts, in float64. */
  reference: HdpoLossReferenceResult;
  /** The k3 KL to the reference (0 without one). */
  kl: number;
  /** Model tokens in the mini-batch. */
  maskedTokens: number;
}

/**
 * HDPO's loss on a mini-batch in float64 — the dual loss `hdpoLossReference` with its analytic gradient (dual clip,
 * aggregation mode and the tool channel's row mask included) plus `klCoef`·KL — and the per-token weights that give
 * a learner exactly its gradient (tinker-api.md §4.3: w = −dL/dlogp).
 */
export function customLoss(
  batch: CustomLossBatch,
  settings: Pick<Settings, "wAcc" | "clipLow" | "clipHigh" | "clipC" | "aggMode" | "klCoef">,
  toolWeight: number,
): CustomLoss {
  const width = Math.max(1, ...batch.mask.map((row) => row.length));
  const padded = (rows: readonly (readonly number[])[]): number[][] =>
    rows.map((row) => Array.from({ length: width }, (_, t) => row[t] ?? 0));
  const mask = padded(batch.mask);
  const reference = hdpoLossReference(
    {
      logProb: padded(batch.logProb),
      oldLogProb: padded(batch.oldLogProb),
      mask,
      accuracyAdvantages: [...batch.accuracyAdvantages],
      toolAdvantages: [...batch.toolAdvantages],
    },
    {
      wAcc: settings.wAcc,
      wTool: toolWeight,
      clipLow: settings.clipLow,
      clipHigh: settings.clipHigh,
      clipC: settings.clipC,
      aggMode: settings.aggMode,
    },
  );
  const gradient = reference.gradLogProb.map((row) => [...row]);
  const maskedTokens = mask.reduce((n, row) => n + row.reduce((a, m) => a + m, 0), 0);
  const kl =
    settings.klCoef > 0 && batch.referenceLogProb !== undefined
      ? addKlGradient(batch, gradient, maskedTokens, settings.klCoef)
      : 0;
  const weights = batch.mask.map((row, b) => row.map((m, t) => (m === 0 ? 0 : -gradient[b]![t]! + 0)));
  return { weights, reference, kl, maskedTokens };
}

/**
 * Adds `klCoef`·d(KL)/dlogp to `gradient` and returns the KL: verl's `low_var_kl` (k3 = exp(δ) − δ − 1 with
 * δ = ref − logp clamped to ±20, k3 clamped to ±10), token-mean over the mask. A clamp that binds cuts the
 * gradient, as autograd would.
 */
function addKlGradient(
  batch: CustomLossBatch,
  gradient: number[][],
  maskedTokens: number,
  klCoef: number,
): number {
  let sum = 0;
  batch.mask.forEach((row, b) => {
    const reference = batch.referenceLogProb![b] ?? [];
    row.forEach((m, t) => {
      if (m === 0) return;
      const raw = reference[t]! - batch.logProb[b]![t]!;
      const delta = Math.min(20, Math.max(-20, raw));
      const k3 = Math.exp(delta) - delta - 1;
      sum += Math.min(10, Math.max(-10, k3));
      // dk3/dlogp = 1 − exp(δ) where neither clamp binds (tf.clipByValue passes the gradient at its bounds too).
      if (Math.abs(raw) <= 20 && k3 <= 10)
        gradient[b]![t]! += (klCoef / maskedTokens) * (1 - Math.exp(delta));
    });
  });
  return sum / maskedTokens;
}

/** The step's Adam parameters: the RL learning rate, the configured constants, the gradient clip. */
function adamParams(settings: Settings): LearnerAdamParams {
  return {
    learningRate: settings.learningRate,
    beta1: settings.adam.beta1,
    beta2: settings.adam.beta2,
    eps: settings.adam.eps,
    weightDecay: settings.adam.weightDecay,
    gradClipNorm: settings.gradClip,
  };
}
