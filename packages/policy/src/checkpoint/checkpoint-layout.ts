/** File names of a Hugging Face model directory, as `transformers` reads and writes them. */
export const CHECKPOINT_FILES = {
  config: "config.json",
  weights: "model.safetensors",
  weightsIndex: "model.safetensors.index.json",
  tokenizer: "tokenizer.json",
  generationConfig: "generation_config.json",
} as const;
