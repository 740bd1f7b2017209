import { readFile } from "node:fs/promises";
import { PRESET_NAMES, PRESETS, type PresetName, parseRunConfig, type RunConfig } from "@hdpo/trainer";
import { parse as parseYaml } from "yaml";
import { TrainerAppError } from "../trainer-app-error";
import { envSettings } from "./env-config";
import { isPlainObject, mergeConfig } from "./merge-config";

/** Where a run's settings come from, lowest precedence first: preset, file, environment, flags. */
export interface ConfigSources {
  preset?: string;
  /** A config file: YAML (`.yaml`, `.yml`) or JSON. */
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

/** Reads a config file: YAML when its name ends in `.yaml` or `.yml`, JSON otherwise. */
export async function readConfigFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new TrainerAppError(`cannot read the config file ${path}: ${(error as Error).message}.`);
  }
  const yaml = /\.ya?ml$/i.test(path);
  let value: unknown;
  try {
    value = yaml ? parseYaml(text, { prettyErrors: true }) : JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message.split("\n")[0];
    throw new TrainerAppError(`${path} is not valid ${yaml ? "YAML" : "JSON"}: ${message}`);
  }
  if (!isPlainObject(value)) {
    throw new TrainerAppError(
      `${path} must hold a ${yaml ? "YAML mapping" : "JSON object"} of settings (see docs/trainer.md).`,
    );
  }
  return value;
}

/**
 * Merges preset < file < environment (`HDPO_BACKEND`, `REMOTE_TOOL_SERVER_URL`, `JUDGE_BASE_URL`, `HDPO_TRAIN_*`)
 * < flags and validates the result with one schema; an error names the file and the variables it may come from.
 *
 * @throws TrainerAppError for an unknown preset, an unreadable file, or any bad field (named by its path).
 */
export async function resolveRunConfig(sources: ConfigSources): Promise<RunConfig> {
  const preset = sources.preset === undefined ? {} : presetConfig(sources.preset);
  const file = sources.file === undefined ? {} : await readConfigFile(sources.file);
  const env = envSettings(sources.env ?? {});
  const origins = [
    ...(sources.file === undefined ? [] : [sources.file]),
    ...env.variables,
    ...(Object.keys(sources.overrides ?? {}).length > 0 ? ["flags"] : []),
  ];
  const source = origins.length === 0 ? "config" : `config (${origins.join(", ")})`;
  return parseRunConfig(mergeConfig(preset, file, env.settings, sources.overrides ?? {}), source);
}

/** Where a command's settings come from: its flags, and the environment. */
export interface CommandConfigSources {
  preset?: string;
  configFile?: string;
  overrides: Record<string, unknown>;
}

/**
 * The preset a command runs (`quick` unless a config file is given) and the config its flags, file and the
 * environment make.
 */
export async function resolveCommandConfig(
  args: CommandConfigSources,
  env: Readonly<Record<string, string | undefined>>,
): Promise<{ preset: string | undefined; config: RunConfig }> {
  const preset = args.preset ?? (args.configFile === undefined ? "quick" : undefined);
  const config = await resolveRunConfig({
    ...(preset !== undefined ? { preset } : {}),
    ...(args.configFile !== undefined ? { file: args.configFile } : {}),
    env,
    overrides: args.overrides,
  });
  return { preset, config };
}
