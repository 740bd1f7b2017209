import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { type ModelConfig, ModelConfigSchema } from "../model-config";
import { PolicyError } from "../policy-error";
import { CHECKPOINT_FILES } from "./checkpoint-layout";
import type { CheckpointWeight } from "./checkpoint-weight";
import { toFloat32 } from "./float-conversion";
import { type GenerationConfig, GenerationConfigSchema } from "./generation-config";
import { parseJsonFile, parseWithSchema } from "./json-files";
import { findNonFinite } from "./non-finite";
import { decodeSafetensors } from "./safetensors-decode";
import { checkWeightShapes } from "./weight-check";

/** How to load. */
export interface LoadCheckpointOptions {
  /** The element type of the returned weights; only float32 for now (F16/BF16/F64 files are widened). */
  dtype?: "float32";
  /** Load weights holding NaN or ±Infinity instead of refusing. */
  allowNonFinite?: boolean;
}

/** A checkpoint directory's contents, checked against its config. */
export interface LoadedCheckpoint {
  config: ModelConfig;
  /** Exactly the parameters of `parameterShapes(config)`, as float32. */
  weights: Map<string, CheckpointWeight>;
  /** The text of `tokenizer.json`, when present (the tokenizer parses it). */
  tokenizerJson?: string;
  /** `generation_config.json`, when present, defaults filled. */
  generationConfig?: GenerationConfig;
  /** `__metadata__` of `model.safetensors` (of the first shard when sharded). */
  metadata: Record<string, string> | undefined;
  /** Accepted oddities, e.g. an ignored tied `lm_head.weight`. */
  warnings: string[];
}

const ShardIndexSchema = z.object({ weight_map: z.record(z.string(), z.string().min(1)) }).passthrough();

/**
 * Loads a Hugging Face model directory: `config.json`, then `model.safetensors` or, when that is absent,
 * the shards named by `model.safetensors.index.json` (as `transformers` prefers), plus `tokenizer.json` and
 * `generation_config.json` when present. F16, BF16 and F64 weights are widened to float32. The weights are
 * checked against `parameterShapes(config)`: every missing, unexpected or misshapen parameter is listed in
 * one error; a tied config's extra `lm_head.weight` is dropped with a warning.
 *
 * @throws PolicyError naming the file and what is wrong (missing file, invalid JSON or config, corrupt
 *   safetensors, inconsistent shard index, weights that do not match the config, non-finite weights).
 */
export async function loadCheckpoint(
  directory: string,
  options: LoadCheckpointOptions = {},
): Promise<LoadedCheckpoint> {
  if (options.dtype !== undefined && options.dtype !== "float32") {
    throw new PolicyError(
      `loadCheckpoint supports dtype "float32" only, got ${JSON.stringify(options.dtype)}`,
    );
  }
  const configPath = join(directory, CHECKPOINT_FILES.config);
  const configText = await readOptional(configPath);
  if (configText === undefined) {
    throw new PolicyError(
      `${directory} has no ${CHECKPOINT_FILES.config}; is it a Hugging Face model directory?`,
    );
  }
  const config = parseWithSchema(ModelConfigSchema, parseJsonFile(configText, configPath), configPath);

  const { weights, metadata } = await readWeights(directory);
  const shapes = new Map([...weights].map(([name, w]) => [name, w.shape] as const));
  const { warnings, ignored } = checkWeightShapes(config, shapes, directory);
  for (const name of ignored) weights.delete(name);
  if (!options.allowNonFinite) {
    const bad = findNonFinite(weights);
    if (bad.length > 0) {
      throw new PolicyError(
        `${directory}: non-finite weights in ${bad.join(", ")}; the checkpoint is from a diverged run (pass allowNonFinite to load it anyway)`,
      );
    }
  }

  const loaded: LoadedCheckpoint = { config, weights, metadata, warnings };
  const tokenizerJson = await readOptional(join(directory, CHECKPOINT_FILES.tokenizer));
  if (tokenizerJson !== undefined) loaded.tokenizerJson = tokenizerJson;
  const generationPath = join(directory, CHECKPOINT_FILES.generationConfig);
  const generationText = await readOptional(generationPath);
  if (generationText !== undefined) {
    loaded.generationConfig = parseWithSchema(
      GenerationConfigSchema,
      parseJsonFile(generationText, generationPath),
      generationPath,
    );
  }
  return loaded;
}

async function readWeights(
  directory: string,
): Promise<{ weights: Map<string, CheckpointWeight>; metadata: Record<string, string> | undefined }> {
  const single = await readOptionalBytes(join(directory, CHECKPOINT_FILES.weights));
  if (single !== undefined) {
    const weights = new Map<string, CheckpointWeight>();
    const metadata = addTensors(weights, single, join(directory, CHECKPOINT_FILES.weights));
    return { weights, metadata };
  }
  const indexPath = join(directory, CHECKPOINT_FILES.weightsIndex);
  const indexText = await readOptional(indexPath);
  if (indexText === undefined) {
    throw new PolicyError(
      `${directory} has neither ${CHECKPOINT_FILES.weights} nor ${CHECKPOINT_FILES.weightsIndex}; only safetensors checkpoints are supported (convert .bin files with transformers first)`,
    );
  }
  const index = parseWithSchema(ShardIndexSchema, parseJsonFile(indexText, indexPath), indexPath);
  const shards = [...new Set(Object.values(index.weight_map))].sort();
  for (const shard of shards) {
    if (shard.includes("/") || shard.includes("\\") || shard === "." || shard === "..") {
      throw new PolicyError(
        `${indexPath}: shard "${shard}" must be a file name inside the checkpoint directory`,
      );
    }
  }
  const weights = new Map<string, CheckpointWeight>();
  const problems: string[] = [];
  let metadata: Record<string, string> | undefined;
  for (const [i, shard] of shards.entries()) {
    const shardPath = join(directory, shard);
    const bytes = await readOptionalBytes(shardPath);
    if (bytes === undefined) {
      problems.push(`shard ${shard} is listed in the weight_map but does not exist`);
      continue;
    }
    const inShard = new Map<string, CheckpointWeight>();
    const shardMetadata = addTensors(inShard, bytes, shardPath);
    if (i === 0) metadata = shardMetadata;
    for (const [name, weight] of inShard) {
      const mapped = index.weight_map[name];
      if (mapped === shard) weights.set(name, weight);
      else if (mapped === undefined) problems.push(`${name} is in ${shard} but not in the weight_map`);
      else problems.push(`${name} is in ${shard} but the weight_map puts it in ${mapped}`);
    }
    for (const [name, mapped] of Object.entries(index.weight_map)) {
      if (mapped === shard && !inShard.has(name)) {
        problems.push(`the weight_map puts ${name} in ${shard}, which does not contain it`);
      }
    }
  }
  if (problems.length > 0) {
    throw new PolicyError(
      `${indexPath} does not match its shards (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n  ${problems.join("\n  ")}\nRe-save the checkpoint or fix the index.`,
    );
  }
  return { weights, metadata };
}

function addTensors(
  into: Map<string, CheckpointWeight>,
  bytes: Uint8Array,
  path: string,
): Record<string, string> | undefined {
  let decoded: ReturnType<typeof decodeSafetensors>;
  try {
    decoded = decodeSafetensors(bytes);
  } catch (error) {
    if (error instanceof PolicyError) throw new PolicyError(`${path}: ${error.message}`, { cause: error });
    throw error;
  }
  for (const [name, tensor] of Object.entries(decoded.tensors)) {
    try {
      into.set(name, { shape: tensor.shape, data: toFloat32(tensor) });
    } catch (error) {
      if (error instanceof PolicyError)
        throw new PolicyError(`${path}: ${name}: ${error.message}`, { cause: error });
      throw error;
    }
  }
  return decoded.metadata;
}

async function readOptional(path: string): Promise<string | undefined> {
  const bytes = await readOptionalBytes(path);
  return bytes === undefined ? undefined : new TextDecoder().decode(bytes);
}

async function readOptionalBytes(path: string): Promise<Uint8Array | undefined> {
  try {
    const buffer = await readFile(path);
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    const reason = error instanceof Error ? error.message : String(error);
    throw new PolicyError(`could not read ${path} (${reason})`, { cause: error });
  }
}
