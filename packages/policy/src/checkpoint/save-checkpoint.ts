import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { type ModelConfig, type ModelConfigInput, ModelConfigSchema } from "../model-config";
import { PolicyError } from "../policy-error";
import { type AtomicWriteFileSystem, writeFileAtomic } from "./atomic-write";
import { CHECKPOINT_FILES } from "./checkpoint-layout";
import type { CheckpointWeight } from "./checkpoint-weight";
import { fromFloat32 } from "./float-conversion";
import { type GenerationConfigInput, GenerationConfigSchema } from "./generation-config";
import { parseWithSchema, toConfigFileText } from "./json-files";
import { findNonFinite } from "./non-finite";
import { elementCount, formatShape, type SafetensorsTensor } from "./safetensors-dtype";
import { encodeSafetensors } from "./safetensors-encode";
import { checkWeightShapes } from "./weight-check";

/** What a checkpoint directory is made from. */
export interface CheckpointContents {
  /** The model's sizes; defaults are filled in before it is written. */
  config: ModelConfigInput | ModelConfig;
  /** Every parameter of `parameterShapes(config)`, float32, under its Hugging Face name. */
  weights: ReadonlyMap<string, CheckpointWeight> | Readonly<Record<string, CheckpointWeight>>;
  /** The tokenizer, written as `tokenizer.json`: its text, or a JSON value to serialize. */
  tokenizerJson?: string | object;
  /** Written as `generation_config.json` (defaults filled) when given. */
  generationConfig?: GenerationConfigInput;
  /** Extra `__metadata__` strings for `model.safetensors`; `format` is always "pt". */
  metadata?: Readonly<Record<string, string>>;
}

/** How to save. */
export interface SaveCheckpointOptions {
  /** Save weights holding NaN or ±Infinity instead of refusing (e.g. to inspect a diverged run). */
  allowNonFinite?: boolean;
  /** Replaces the file-system calls of the atomic writes (tests simulate crashes with it). */
  fileSystem?: AtomicWriteFileSystem;
}

/** What `saveCheckpoint` did. */
export interface SaveCheckpointResult {
  /** Paths written, in the order they were written. */
  files: string[];
  /** Accepted oddities, e.g. a tied `lm_head.weight` that was left out. */
  warnings: string[];
}

/**
 * Saves a model in the Hugging Face layout (`model.safetensors`, `tokenizer.json`,
 * `generation_config.json`, `config.json`) so that `transformers.AutoModelForCausalLM.from_pretrained(dir)`
 * loads it. The directory is created if missing. Each file is replaced atomically (temp file, fsync,
 * rename); `config.json` is written last, so a directory whose config is new has all its new files.
 * Weights are stored in the config's `torch_dtype` (float32 by default; bfloat16/float16 rounded to
 * nearest even). Weights are checked against `parameterShapes(config)` first, so nothing is written for a
 * model that would not load; a tied `lm_head.weight` is left out with a warning.
 *
 * @throws PolicyError for an invalid config, weights that do not match it, non-finite weights (unless
 *   `allowNonFinite`), a `metadata.format` other than "pt", or a failed write.
 */
export async function saveCheckpoint(
  directory: string,
  contents: CheckpointContents,
  options: SaveCheckpointOptions = {},
): Promise<SaveCheckpointResult> {
  const config = parseWithSchema(ModelConfigSchema, contents.config, "the checkpoint's model config");
  const weights =
    contents.weights instanceof Map ? contents.weights : new Map(Object.entries(contents.weights));
  checkWeightData(weights);
  const shapes = new Map([...weights].map(([name, w]) => [name, w.shape] as const));
  const { warnings, ignored } = checkWeightShapes(config, shapes, `saving ${directory}`);
  if (!options.allowNonFinite) {
    const bad = findNonFinite(weights);
    if (bad.length > 0) {
      throw new PolicyError(
        `refusing to save ${directory}: non-finite weights in ${bad.join(", ")}; the run has diverged (pass allowNonFinite to save it anyway)`,
      );
    }
  }
  const metadata = safetensorsMetadata(contents.metadata);
  const generationConfig =
    contents.generationConfig === undefined
      ? undefined
      : parseWithSchema(GenerationConfigSchema, contents.generationConfig, "the generation config");

  const tensors: Record<string, SafetensorsTensor> = {};
  for (const [name, weight] of weights) {
    if (ignored.includes(name)) continue;
    Object.defineProperty(tensors, name, {
      value: toStoredTensor(weight, config.torch_dtype),
      enumerable: true,
    });
  }
  const files: string[] = [];
  const write = async (name: string, data: Uint8Array | string) => {
    const path = join(directory, name);
    await writeFileAtomic(path, data, options.fileSystem);
    files.push(path);
  };
  try {
    await mkdir(directory, { recursive: true });
  } catch (error) {
    throw new PolicyError(`could not create the checkpoint directory ${directory}: ${String(error)}`, {
      cause: error,
    });
  }
  await write(CHECKPOINT_FILES.weights, encodeSafetensors(tensors, metadata));
  if (contents.tokenizerJson !== undefined) {
    const text =
      typeof contents.tokenizerJson === "string"
        ? contents.tokenizerJson
        : JSON.stringify(contents.tokenizerJson);
    await write(CHECKPOINT_FILES.tokenizer, text);
  }
  if (generationConfig !== undefined) {
    await write(CHECKPOINT_FILES.generationConfig, toConfigFileText(generationConfig));
  }
  await write(CHECKPOINT_FILES.config, toConfigFileText(config));
  return { files, warnings };
}

function checkWeightData(weights: ReadonlyMap<string, CheckpointWeight>): void {
  for (const [name, weight] of weights) {
    if (!(weight.data instanceof Float32Array)) {
      throw new PolicyError(`weight "${name}": data must be a Float32Array`);
    }
    if (!Array.isArray(weight.shape) || !weight.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new PolicyError(
        `weight "${name}": shape ${JSON.stringify(weight.shape)} must be non-negative integers`,
      );
    }
    if (weight.data.length !== elementCount(weight.shape)) {
      throw new PolicyError(
        `weight "${name}": shape ${formatShape(weight.shape)} needs ${elementCount(weight.shape)} values but data has ${weight.data.length}`,
      );
    }
  }
}

function safetensorsMetadata(extra: Readonly<Record<string, string>> | undefined): Record<string, string> {
  if (extra?.format !== undefined && extra.format !== "pt") {
    throw new PolicyError(
      `metadata.format must be "pt" (transformers refuses other formats), got ${JSON.stringify(extra.format)}`,
    );
  }
  return { ...extra, format: "pt" };
}

function toStoredTensor(weight: CheckpointWeight, torchDtype: ModelConfig["torch_dtype"]): SafetensorsTensor {
  const shape = [...weight.shape];
  switch (torchDtype) {
    case "bfloat16":
      return { dtype: "BF16", shape, data: fromFloat32(weight.data, "BF16") };
    case "float16":
      return { dtype: "F16", shape, data: fromFloat32(weight.data, "F16") };
    default:
      return { dtype: "F32", shape, data: weight.data };
  }
}
