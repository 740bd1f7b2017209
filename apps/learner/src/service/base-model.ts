import { stat } from "node:fs/promises";
import {
  type ByteLevelBpeTokenizer,
  DecoderModel,
  loadPolicy,
  type ModelConfig,
  type PlainWeight,
} from "@hdpo/policy";
import { LearnerServerError } from "../learner-server-error";

/** The one base model a server trains: every model starts from a copy of these weights. */
export interface BaseModel {
  /** The name clients use (`base_model`, `model_name`). */
  name: string;
  config: ModelConfig;
  /** The base weights as plain data, copied into each new model. */
  weights: ReadonlyMap<string, PlainWeight>;
  tokenizer: ByteLevelBpeTokenizer;
  /** The base weights as a model, for sampling with `base_model` (never trained). */
  model: DecoderModel;
}

/** Loads a Hugging Face checkpoint folder (savePolicy's layout) as the base model. Call `useBackend` first. */
export async function loadBaseModel(directory: string, name: string): Promise<BaseModel> {
  const info = await stat(directory).catch(() => undefined);
  if (info === undefined || !info.isDirectory()) {
    throw new LearnerServerError(
      `--checkpoint ${directory} is not a directory; pass the folder holding config.json, model.safetensors and tokenizer.json`,
    );
  }
  const { model, tokenizer } = await loadPolicy(directory);
  return { name, config: model.config, weights: model.weights(), tokenizer, model };
}

/** A fresh trainable copy of the base weights. */
export function copyOfBase(base: BaseModel): DecoderModel {
  return DecoderModel.fromWeights(base.config, base.weights);
}
