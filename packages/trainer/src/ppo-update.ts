import type { TrajectoryTokens } from "@hdpo/core";
import { hdpoLoss } from "@hdpo/losses";
import type { DecoderModel } from "@hdpo/policy";
import { tf } from "@hdpo/tensor";
import { clipByGlobalNorm } from "./clip-gradients";
import { padResponses, sequenceBatch } from "./padded-batch";
import type { RlSettings } from "./trainer-config";

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
  /** Token-mean entropy of the policy on the model's tokens. */
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
  model: DecoderModel;
  optimizer: tf.Optimizer;
  /** Frozen reference for the KL term; needed only when `klCoef` > 0. */
  reference?: DecoderModel;
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
>;

/** Per-sample tensors' host data that stay fixed across epochs. */
interface Prepared {
  sample: PolicySample;
  oldLogProbs: Float32Array | number[];
  referenceLogProbs?: Float32Array;
}

/**
 * PPO epochs over mini-batches with the HDPO loss (`hdpoLoss`: dual-clipped surrogates of A_acc and A_tool
 * combined as w_acc·L_acc + w_tool·L_tool), plus `klCoef`·KL(π‖π_ref) and − `entropyCoef`·entropy, each
 * mini-batch one clipped-gradient optimiser step. π_old is the rollout's sampling log-probs, or (with
 * `oldLogProbs: "recompute"`) one no-gradient forward pass over the same tokens before the first update.
 */
export function ppoUpdate(
  samples: readonly PolicySample[],
  context: UpdateContext,
  settings: Settings,
): UpdateMetrics {
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
  const size = settings.miniBatchSize ?? samples.length;
  const prepared: Prepared[] = samples.map((sample) => ({ sample, oldLogProbs: sample.tokens.logProbs }));
  if (settings.oldLogProbs === "recompute") fillLogProbs(context.model, prepared, size, "oldLogProbs");
  if (settings.klCoef > 0 && context.reference !== undefined) {
    fillLogProbs(context.reference, prepared, size, "referenceLogProbs");
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
      const result = miniBatchUpdate(batch, context, settings);
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

/** Teacher-forced log-probs of each sample's response under `model`, no gradient, stored per sample. */
function fillLogProbs(
  model: DecoderModel,
  prepared: Prepared[],
  size: number,
  field: "oldLogProbs" | "referenceLogProbs",
): void {
  for (let start = 0; start < prepared.length; start += size) {
    const batch = prepared.slice(start, start + size);
    const values = tf.tidy(() => model.logProbs(sequenceBatch(batch.map((p) => p.sample.tokens))).logProbs);
    const data = values.dataSync() as Float32Array;
    const width = values.shape[1];
    values.dispose();
    batch.forEach((p, b) => {
      const length = p.sample.tokens.ids.length;
      p[field] = data.slice(b * width, b * width + length);
    });
  }
}

/** One mini-batch update's share of `UpdateMetrics`, plus its log-prob mismatch. */
type MiniBatchResult = Omit<UpdateMetrics, "updates" | "logProbMismatch" | "tokens"> & { mismatch: number };

function miniBatchUpdate(
  batch: readonly Prepared[],
  context: UpdateContext,
  settings: Settings,
): MiniBatchResult {
  const { model, optimizer } = context;
  const lossMaskData = padResponses(batch.map((p) => p.sample.tokens.lossMask));
  const shape: [number, number] = [lossMaskData.rows, lossMaskData.width];
  const oldData = padResponses(batch.map((p) => p.oldLogProbs));
  const withKl = settings.klCoef > 0 && context.reference !== undefined;
  const owned: tf.Tensor[] = [];
  const keep = <T extends tf.Tensor>(t: T): T => {
    owned.push(t);
    return t;
  };
  const lossMask = keep(tf.tensor2d(lossMaskData.data, shape));
  const oldLogProb = keep(tf.tensor2d(oldData.data, shape));
  const accuracyAdvantages = keep(tf.tensor1d(batch.map((p) => p.sample.accuracyAdvantage)));
  const toolAdvantages = keep(tf.tensor1d(batch.map((p) => p.sample.toolAdvantage)));
  const referenceLogProb = withKl
    ? keep(tf.tensor2d(padResponses(batch.map((p) => p.referenceLogProbs ?? new Float32Array())).data, shape))
    : undefined;
  const maskedTokens = lossMaskData.data.reduce((a, m) => a + m, 0);
  const read = {
    lossAcc: 0,
    lossTool: 0,
    clipFractionAcc: 0,
    clipFractionTool: 0,
    kl: 0,
    entropy: 0,
    mismatch: 0,
  };
  try {
    const { value, grads } = tf.variableGrads(() => {
      const { logProbs, entropy } = model.logProbs(sequenceBatch(batch.map((p) => p.sample.tokens)), {
        entropy: true,
      });
      const logProb = tf.mul(logProbs, lossMask);
      const maskedMean = (t: tf.Tensor): tf.Scalar => tf.div(tf.sum(tf.mul(t, lossMask)), maskedTokens);
      const result = hdpoLoss(
        { logProb, oldLogProb, mask: lossMask, accuracyAdvantages, toolAdvantages },
        {
          wAcc: settings.wAcc,
          wTool: context.toolWeight,
          clipLow: settings.clipLow,
          clipHigh: settings.clipHigh,
          clipC: settings.clipC,
          aggMode: settings.aggMode,
        },
      );
      read.lossAcc = result.lossAcc.dataSync()[0]!;
      read.lossTool = result.lossTool.dataSync()[0]!;
      read.clipFractionAcc = result.clipFractionAcc;
      read.clipFractionTool = result.clipFractionTool;
      read.mismatch = maskedMean(tf.abs(tf.sub(logProb, oldLogProb))).dataSync()[0]!;
      const meanEntropy = maskedMean(entropy!);
      read.entropy = meanEntropy.dataSync()[0]!;
      let total: tf.Scalar = result.loss;
      if (referenceLogProb !== undefined) {
        // k3 = exp(ref − logp) − (ref − logp) − 1 ≥ 0, verl's `low_var_kl`, clamped to ±10 as verl does.
        const delta = tf.clipByValue(tf.sub(referenceLogProb, logProb), -20, 20);
        const k3 = tf.clipByValue(tf.sub(tf.sub(tf.exp(delta), delta), 1), -10, 10);
        const kl = maskedMean(k3);
        read.kl = kl.dataSync()[0]!;
        total = tf.add(total, tf.mul(kl, settings.klCoef));
      }
      if (settings.entropyCoef > 0) total = tf.sub(total, tf.mul(meanEntropy, settings.entropyCoef));
      return total;
    }, model.trainableVariables());
    const loss = value.dataSync()[0]!;
    value.dispose();
    const clipped = clipByGlobalNorm(grads, settings.gradClip);
    tf.dispose(grads);
    optimizer.applyGradients(clipped.grads);
    tf.dispose(clipped.grads);
    return { loss, gradNorm: clipped.norm, ...read };
  } finally {
    tf.dispose(owned);
  }
}
