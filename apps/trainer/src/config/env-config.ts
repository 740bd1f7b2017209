import { BACKEND_ENV_VAR } from "@hdpo/tensor";
import { TrainerAppError } from "../trainer-app-error";
import { mergeConfig, objectAtPath } from "./merge-config";
import { parseSettingValue } from "./setting-value";

/**
 * Prefix of the variables that set any field of the run config: after it, `__` separates the levels and each level
 * is the field's name in upper snake case, so `HDPO_TRAIN_RL__W_TOOL=0.2` sets `rl.wTool` and `HDPO_TRAIN_SEED=1`
 * sets `seed`. Values are read as `--set` reads them (JSON, else the bare word).
 */
export const TRAIN_ENV_PREFIX = "HDPO_TRAIN_";

/** Variables with a name of their own: the tensor backend's, and the reference's names for its endpoints. */
export const NAMED_ENV_SETTINGS: Readonly<Record<string, string>> = {
  [BACKEND_ENV_VAR]: "backend",
  REMOTE_TOOL_SERVER_URL: "tools.server",
  JUDGE_BASE_URL: "judge.baseUrl",
};

/** The settings the environment gives, shaped like the config, and the variables they came from. */
export interface EnvSettings {
  settings: Record<string, unknown>;
  variables: string[];
}

/**
 * Reads the run settings from environment variables (named ones and `HDPO_TRAIN_*`); empty variables count as
 * unset.
 *
 * @throws TrainerAppError for an `HDPO_TRAIN_` name that does not spell a field path.
 */
export function envSettings(env: Readonly<Record<string, string | undefined>>): EnvSettings {
  const layers: Record<string, unknown>[] = [];
  const variables: string[] = [];
  for (const name of Object.keys(env).sort()) {
    const raw = env[name];
    if (raw === undefined || raw.trim() === "") continue;
    const named = NAMED_ENV_SETTINGS[name];
    const path = named ?? (name.startsWith(TRAIN_ENV_PREFIX) ? envFieldPath(name) : undefined);
    if (path === undefined) continue;
    // The named ones hold a URL or a backend name, never JSON; the tool server's may list replicas, comma-separated.
    const value = named === undefined ? parseSettingValue(raw) : namedValue(name, raw.trim());
    layers.push(objectAtPath(path, value));
    variables.push(name);
  }
  return { settings: mergeConfig(...layers), variables };
}

function namedValue(name: string, value: string): string | string[] {
  if (name !== "REMOTE_TOOL_SERVER_URL" || !value.includes(",")) return value;
  return value
    .split(",")
    .map((url) => url.trim())
    .filter((url) => url !== "");
}

/** `HDPO_TRAIN_SFT__LEARNING_RATE` → `sft.learningRate`. */
function envFieldPath(name: string): string {
  const levels = name.slice(TRAIN_ENV_PREFIX.length).split("__");
  if (levels.some((level) => !/^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/.test(level))) {
    throw new TrainerAppError(
      `${name}: after ${TRAIN_ENV_PREFIX}, name a field path in upper snake case with __ between levels, ` +
        `e.g. ${TRAIN_ENV_PREFIX}RL__W_TOOL=0.2 for rl.wTool.`,
    );
  }
  return levels.map(camelCase).join(".");
}

function camelCase(level: string): string {
  const [first, ...rest] = level.toLowerCase().split("_");
  return first + rest.map((word) => word[0]!.toUpperCase() + word.slice(1)).join("");
}
