import { TfjsLearner } from "@hdpo/learner";
import { DecoderModel } from "@hdpo/policy";
import { type BaseModel, copyOfBase } from "./base-model";

/**
 * What one Tinker model holds in memory: its own copy of the base weights, its TfjsLearner (optimizer, accumulated
 * gradients) and the newest ephemeral sampler weights. Nothing is shared with another model.
 */
export class ModelSlot {
  readonly model: DecoderModel;
  readonly learner: TfjsLearner;
  /** Ephemeral sampler weights by checkpoint name, oldest first. */
  private readonly snapshots = new Map<string, DecoderModel>();

  constructor(
    base: BaseModel,
    stateDirectory: string,
    private readonly maxSnapshots: number,
  ) {
    this.model = copyOfBase(base);
    this.learner = new TfjsLearner({
      model: this.model,
      tokenizer: base.tokenizer,
      stateDirectory,
      baseModel: base.name,
    });
  }

  /** Pins the current weights under `name` for sampling; the oldest pin beyond the limit is released. */
  pinSamplerWeights(name: string): void {
    this.snapshots.get(name)?.dispose();
    this.snapshots.set(name, DecoderModel.fromWeights(this.model.config, this.model.weights()));
    while (this.snapshots.size > this.maxSnapshots) {
      const [oldest, model] = this.snapshots.entries().next().value as [string, DecoderModel];
      model.dispose();
      this.snapshots.delete(oldest);
    }
  }

  samplerWeights(name: string): DecoderModel | undefined {
    return this.snapshots.get(name);
  }

  async dispose(): Promise<void> {
    await this.learner.close();
    this.model.dispose();
    for (const model of this.snapshots.values()) model.dispose();
    this.snapshots.clear();
  }
}
