import { readFile } from "node:fs/promises";
import { BACKEND_ENV_VAR } from "@hdpo/tensor";
import { TrainerAppError } from "../trainer-app-error";
import { isPlainObject, mergeConfig } from "./merge-config";
import { PRESET_NAMES, PRESETS, type PresetName } from "./presets";
import { parseRunConfig, type RunConfig } from "./run-config";

/** Where a run's settings come from, lowest precedence first: preset, file, environment, flags. */
export interface ConfigSources {
  preset?: string;
  /** A JSON config file. */
  file?: string;
  env?: Readonly<Record<string, string | undefined>>;
  /** Overrides from flags, already shaped like the config (e.g. `{ rl: { steps: 3 } }`). */
  overrides?: Record<string, unknown>;
}

/** The preset's settings; throws naming the presets for an unknown name. */
export function presetConfig(name: string): Record<string, unknown> {
  if (!(PRESET_NAMES as readonly string[]).includes(name)) {
    throw new TrainerAppError(`unknown preset "${name}": use one of ${PRESET_NAMES.join(", ")}.`);
  }
  return PRESETS[name as PresetName] as Record<string, unknown>;
}

/** Reads a JSON config file; YAML is not supported (no YAML parser is a dependency). */
export async function readConfigFile(path: string): Promise<unknown> {
  if (/\.ya?ml$/i.test(path)) {
    throw new TrainerAppError(`${path}: YAML configs are not supported; write the same settings as JSON.`);
  }
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new TrainerAppError(`cannot read the config file ${path}: ${(error as Error).message}.`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new TrainerAppError(`${path} is not valid JSON: ${(error as Error).message}.`);
  }
  if (!isPlainObject(value)) {
    throw new TrainerAppError(`${path} must hold a JSON object of settings (see docs/trainer.md).`);
  }
  return value;
}

/**
 * Merges preset < file < environment (`HDPO_BACKEND`) < flags and validates the result with one schema.
 *
 * @throws TrainerAppError for an unknown preset, an unreadable file, or any bad field (named by its path).
 */
export async function resolveRunConfig(sources: ConfigSources): Promise<RunConfig> {
  const preset = sources.preset === undefined ? {} : presetConfig(sources.preset);
  const file = sources.file === undefined ? {} : await readConfigFile(sources.file);
  const backend = sources.env?.[BACKEND_ENV_VAR];
  const env = backend === undefined || backend === "" ? {} : { backend };
  const source = sources.file === undefined ? "config" : `config (${sources.file} and flags)`;
  return parseRunConfig(mergeConfig(preset, file, env, sources.overrides ?? {}), source);
}
