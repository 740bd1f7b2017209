import type { GenerationConfig, GenerationConfigInput } from "./checkpoint/generation-config";
import { loadCheckpoint } from "./checkpoint/load-checkpoint";
import { type SaveCheckpointResult, saveCheckpoint } from "./checkpoint/save-checkpoint";
import { DecoderModel } from "./model/decoder-model";
import { PolicyError } from "./policy-error";
import { ByteLevelBpeTokenizer } from "./tokenizer/byte-level-bpe-tokenizer";

/** A model with the tokenizer it was trained with: what a checkpoint directory holds. */
export interface PolicyBundle {
  model: DecoderModel;
  tokenizer: ByteLevelBpeTokenizer;
  generationConfig?: GenerationConfig;
}

/**
 * Writes `model` and `tokenizer` as a Hugging Face checkpoint directory (`config.json`, `model.safetensors`,
 * `tokenizer.json`, `generation_config.json`), each file replaced atomically. The tokenizer's end-of-sequence
 * and padding ids go into the generation config unless it sets them.
 */
export async function savePolicy(
  directory: string,
  bundle: { model: DecoderModel; tokenizer: ByteLevelBpeTokenizer; generationConfig?: GenerationConfigInput },
): Promise<SaveCheckpointResult> {
  const { model, tokenizer } = bundle;
  return saveCheckpoint(directory, {
    config: model.config,
    weights: model.weights(),
    tokenizerJson: tokenizer.toTokenizerJson(),
    generationConfig: {
      eos_token_id: [...tokenizer.eosTokenIds],
      pad_token_id: tokenizer.padTokenId,
      ...bundle.generationConfig,
    },
  });
}

/**
 * Loads a checkpoint directory written by {@link savePolicy} (or by `transformers` for a Qwen2-architecture
 * model with a byte-level BPE `tokenizer.json`): shapes and dtypes are checked against `config.json`, and
 * the model is created on the active tfjs backend (call `useBackend` first).
 *
 * @throws PolicyError naming what is missing or does not match.
 */
export async function loadPolicy(directory: string): Promise<PolicyBundle> {
  const checkpoint = await loadCheckpoint(directory);
  if (checkpoint.tokenizerJson === undefined) {
    throw new PolicyError(
      `${directory} has no tokenizer.json; save the checkpoint with its tokenizer (savePolicy).`,
    );
  }
  const tokenizer = ByteLevelBpeTokenizer.fromTokenizerJson(checkpoint.tokenizerJson);
  if (tokenizer.vocabSize > checkpoint.config.vocab_size) {
    throw new PolicyError(
      `${directory}: tokenizer.json has ${tokenizer.vocabSize} tokens but config.json's vocab_size is ` +
        `${checkpoint.config.vocab_size}; the model cannot score every token. Save the tokenizer the model was trained with.`,
    );
  }
  const model = DecoderModel.fromWeights(checkpoint.config, checkpoint.weights);
  return { model, tokenizer, generationConfig: checkpoint.generationConfig };
}
