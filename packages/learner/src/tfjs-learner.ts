import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type {
  Learner,
  LearnerAdamParams,
  LearnerDatum,
  LearnerForwardBackwardOutput,
  LearnerForwardOutput,
  LearnerInfo,
  LearnerOptimStepOutput,
  LearnerPassOptions,
  LearnerSampler,
} from "@hdpo/core";
import {
  type ByteLevelBpeTokenizer,
  type DecoderModel,
  loadPolicy,
  ModelSampler,
  savePolicy,
} from "@hdpo/policy";
import { tf } from "@hdpo/tensor";
import { checkAdamParams } from "./adam-params";
import { clipByGlobalNorm } from "./clip-gradients";
import { datumBatch } from "./datum-batch";
import { LearnerError } from "./learner-error";
import { encodeOptimizerState, restoreOptimizerState } from "./optimizer-state";
import { isStateName } from "./state-name";

/** Options of {@link TfjsLearner}. */
export interface TfjsLearnerOptions {
  model: DecoderModel;
  /** Saved with every state, so that a state folder is a complete Hugging Face checkpoint. */
  tokenizer: ByteLevelBpeTokenizer;
  /** Where `saveState(name)` writes `<stateDirectory>/<name>/`; required for saving. */
  stateDirectory?: string;
  /** The base model's name in reports (a directory or an id). Default "hdpo-tfjs". */
  baseModel?: string;
  /** `close()` disposes the model too (a learner that loaded it itself). Default false: the model stays the caller's. */
  ownsModel?: boolean;
}

/** The Adam constants fixed when the optimizer is created (tfjs reads only the rate at every step). */
interface AdamConstants {
  beta1: number;
  beta2: number;
  eps: number;
}

const OPTIMIZER_FILE = "optimizer.safetensors";
const LEARNER_FILE = "learner-state.json";

/**
 * The in-process learner: a tfjs `DecoderModel`, gradients of Σ −w·logp (− Σ e·H) accumulated over
 * `forwardBackward` calls, and Adam (created at the first step with its constants, decoupled weight decay, global
 * norm clipping) applying them at `optimStep`. Its sampler draws from the very same weights, so pushing weights to
 * it costs nothing. States are Hugging Face checkpoint folders plus the optimizer's moments.
 */
export class TfjsLearner implements Learner {
  readonly info: LearnerInfo;
  private readonly model: DecoderModel;
  private readonly tokenizer: ByteLevelBpeTokenizer;
  private readonly stateDirectory: string | undefined;
  private readonly ownsModel: boolean;
  private gradients: tf.NamedTensorMap | undefined;
  private optimizer: { adam: tf.Optimizer; constants: AdamConstants } | undefined;
  private closed = false;

  constructor(options: TfjsLearnerOptions) {
    this.model = options.model;
    this.tokenizer = options.tokenizer;
    this.stateDirectory = options.stateDirectory;
    this.ownsModel = options.ownsModel === true;
    this.info = {
      kind: "tfjs",
      baseModel: options.baseModel ?? "hdpo-tfjs",
      capabilities: { entropy: true, adamParams: "all", images: false },
    };
  }

  async forward(
    data: readonly LearnerDatum[],
    options: LearnerPassOptions = {},
  ): Promise<LearnerForwardOutput> {
    this.assertOpen("forward");
    const prepared = datumBatch(data, this.model.config.vocab_size, "forward");
    const temperature = checkTemperature(options.temperature, "forward");
    const values = tf.tidy(() => this.model.logProbs(prepared.batch, { temperature }).logProbs);
    const flat = values.dataSync() as Float32Array;
    values.dispose();
    return { logProbs: rowsOf(flat, prepared.lengths, prepared.width) };
  }

  async forwardBackward(
    data: readonly LearnerDatum[],
    options: LearnerPassOptions = {},
  ): Promise<LearnerForwardBackwardOutput> {
    this.assertOpen("forwardBackward");
    const prepared = datumBatch(data, this.model.config.vocab_size, "forwardBackward");
    const temperature = checkTemperature(options.temperature, "forwardBackward");
    const shape: [number, number] = [data.length, prepared.width];
    const weights = tf.tensor2d(prepared.weights, shape);
    const entropyWeights =
      prepared.entropyWeights === undefined ? undefined : tf.tensor2d(prepared.entropyWeights, shape);
    let flat: Float32Array = new Float32Array(0);
    try {
      const { value, grads } = tf.variableGrads(() => {
        const scored = this.model.logProbs(prepared.batch, {
          temperature,
          entropy: entropyWeights !== undefined,
        });
        flat = scored.logProbs.dataSync() as Float32Array;
        const nll = tf.neg(tf.sum(tf.mul(scored.logProbs, weights)));
        if (entropyWeights === undefined) return nll as tf.Scalar;
        return tf.sub(nll, tf.sum(tf.mul(scored.entropy!, entropyWeights))) as tf.Scalar;
      }, this.model.trainableVariables());
      const loss = value.dataSync()[0]!;
      value.dispose();
      this.accumulate(grads);
      return { loss, logProbs: rowsOf(flat, prepared.lengths, prepared.width) };
    } finally {
      weights.dispose();
      entropyWeights?.dispose();
    }
  }

  async optimStep(params: LearnerAdamParams): Promise<LearnerOptimStepOutput> {
    this.assertOpen("optimStep");
    checkAdamParams(params);
    const gradients = this.gradients;
    if (gradients === undefined) {
      throw new LearnerError(
        "optimStep: no gradient was accumulated since the last step; call forwardBackward first.",
      );
    }
    this.gradients = undefined;
    const clipped = clipByGlobalNorm(gradients, params.gradClipNorm > 0 ? params.gradClipNorm : Infinity);
    tf.dispose(gradients);
    try {
      if (!Number.isFinite(clipped.norm)) {
        throw new LearnerError(
          `optimStep: the accumulated gradient is not finite (norm ${clipped.norm}); the step was skipped and the ` +
            "gradient cleared. Lower the learning rate or check the loss weights.",
        );
      }
      const adam = this.adamFor(params);
      if (params.weightDecay > 0) {
        // AdamW (as torch orders it): the decay scales the weights before the moment update.
        const keep = 1 - params.learningRate * params.weightDecay;
        for (const variable of this.model.trainableVariables()) {
          tf.tidy(() => variable.assign(tf.mul(variable, keep)));
        }
      }
      // tfjs reads Adam's rate at every update, but only exposes the field as protected.
      (adam as unknown as { learningRate: number }).learningRate = params.learningRate;
      adam.applyGradients(clipped.grads);
      return { gradNorm: clipped.norm, learningRate: params.learningRate };
    } finally {
      tf.dispose(clipped.grads);
    }
  }

  async saveState(name: string): Promise<string> {
    this.assertOpen("saveState");
    if (!isStateName(name)) {
      throw new LearnerError(
        `saveState: the name ${JSON.stringify(name)} must be 1 to 255 letters, digits, "_" or "-".`,
      );
    }
    if (this.stateDirectory === undefined) {
      throw new LearnerError(
        "saveState: this learner has no stateDirectory; create it with one to save states.",
      );
    }
    await mkdir(this.stateDirectory, { recursive: true });
    const target = join(this.stateDirectory, name);
    const temp = join(this.stateDirectory, `.${name}.${process.pid}.tmp`);
    await rm(temp, { recursive: true, force: true });
    await savePolicy(temp, { model: this.model, tokenizer: this.tokenizer });
    const optimizer = this.optimizer;
    if (optimizer !== undefined) {
      await writeFile(join(temp, OPTIMIZER_FILE), await encodeOptimizerState(optimizer.adam));
    }
    const record = { format: 1, adam: optimizer?.constants ?? null };
    await writeFile(join(temp, LEARNER_FILE), `${JSON.stringify(record)}\n`);
    await rm(target, { recursive: true, force: true });
    await rename(temp, target);
    return target;
  }

  async loadState(path: string, options: { weightsOnly?: boolean } = {}): Promise<void> {
    this.assertOpen("loadState");
    const { model } = await loadPolicy(path);
    try {
      if (JSON.stringify(model.config) !== JSON.stringify(this.model.config)) {
        throw new LearnerError(
          `loadState: ${path} holds a model of another config than this learner's; load it into a learner made from it.`,
        );
      }
      this.model.setWeights(model.weights());
    } finally {
      model.dispose();
    }
    this.discardGradients();
    this.optimizer?.adam.dispose();
    this.optimizer = undefined;
    if (options.weightsOnly === true) return;
    const record = JSON.parse(await readFile(join(path, LEARNER_FILE), "utf8")) as {
      adam: AdamConstants | null;
    };
    if (record.adam === null) return;
    const adam = tf.train.adam(0, record.adam.beta1, record.adam.beta2, record.adam.eps);
    await restoreOptimizerState(adam, new Uint8Array(await readFile(join(path, OPTIMIZER_FILE))));
    this.optimizer = { adam, constants: record.adam };
  }

  async samplerForCurrentWeights(): Promise<LearnerSampler> {
    this.assertOpen("samplerForCurrentWeights");
    return new ModelSampler(this.model, this.tokenizer);
  }

  /** Writes the current weights and the tokenizer as a Hugging Face checkpoint folder. */
  async exportWeights(directory: string): Promise<void> {
    this.assertOpen("exportWeights");
    await savePolicy(directory, { model: this.model, tokenizer: this.tokenizer });
  }

  /**
   * Copies of the gradient accumulated since the last step, one per trainable variable in the model's order
   * (undefined when there is none): for gradient checks.
   */
  accumulatedGradient(): Float32Array[] | undefined {
    const gradients = this.gradients;
    if (gradients === undefined) return undefined;
    return Object.keys(gradients).map((name) => Float32Array.from(gradients[name]!.dataSync()));
  }

  /** Frees the gradients and the optimizer, and the model when the learner owns it. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.discardGradients();
    this.optimizer?.adam.dispose();
    this.optimizer = undefined;
    if (this.ownsModel) this.model.dispose();
  }

  private accumulate(grads: tf.NamedTensorMap): void {
    const sum = this.gradients;
    if (sum === undefined) {
      this.gradients = grads;
      return;
    }
    for (const name of Object.keys(sum)) {
      const added = tf.add(sum[name]!, grads[name]!);
      sum[name]!.dispose();
      sum[name] = added;
    }
    tf.dispose(grads);
  }

  private discardGradients(): void {
    if (this.gradients !== undefined) tf.dispose(this.gradients);
    this.gradients = undefined;
  }

  /** Adam with the step's constants, created at the first step; they cannot change afterwards. */
  private adamFor(params: LearnerAdamParams): tf.Optimizer {
    const constants = { beta1: params.beta1, beta2: params.beta2, eps: params.eps };
    if (this.optimizer === undefined) {
      this.optimizer = {
        adam: tf.train.adam(params.learningRate, params.beta1, params.beta2, params.eps),
        constants,
      };
      return this.optimizer.adam;
    }
    const held = this.optimizer.constants;
    if (held.beta1 !== constants.beta1 || held.beta2 !== constants.beta2 || held.eps !== constants.eps) {
      throw new LearnerError(
        `optimStep: Adam's beta1, beta2 and eps are fixed when the optimizer is created (${JSON.stringify(held)}), ` +
          `got ${JSON.stringify(constants)}; keep them, or loadState(path, { weightsOnly: true }) to start a fresh optimizer.`,
      );
    }
    return this.optimizer.adam;
  }

  private assertOpen(what: string): void {
    if (this.closed) throw new LearnerError(`${what}: the learner is closed.`);
  }
}

function checkTemperature(value: number | undefined, what: string): number {
  const temperature = value ?? 1;
  if (!(Number.isFinite(temperature) && temperature > 0)) {
    throw new LearnerError(`${what}: temperature must be a finite number > 0, got ${temperature}.`);
  }
  return temperature;
}

/** Row-major `[rows, width]` values → one plain array per row, cut to its length. */
function rowsOf(flat: Float32Array, lengths: readonly number[], width: number): number[][] {
  return lengths.map((length, row) => Array.from(flat.subarray(row * width, row * width + length)));
}
