import { parseArgs } from "node:util";
import { mergeConfig, objectAtPath } from "../config/merge-config";
import { TrainerAppError } from "../trainer-app-error";
import { parseSetAssignment } from "./set-assignment";

/** `hdpo-train repro` flags. */
export interface ReproArgs {
  preset?: string;
  configFile?: string;
  out?: string;
  /** The markdown page to write. */
  doc?: string;
  seeds: number[];
  /** Method names in run order; undefined = all. */
  methods?: string[];
  quiet: boolean;
  /** Overrides shaped like the config (`--rl-steps`, `--backend`, `--set`), applied to every run. */
  overrides: Record<string, unknown>;
}

export const DEFAULT_REPRO_SEEDS: readonly number[] = [0, 1, 2];

function list(flag: string, raw: string): string[] {
  const items = raw.split(",").map((item) => item.trim());
  if (items.some((item) => item === "")) {
    throw new TrainerAppError(`--${flag} takes a comma-separated list without empty items, got "${raw}".`);
  }
  return items;
}

function seedList(raw: string): number[] {
  const seeds = list("seeds", raw).map((item) => {
    const seed = Number(item);
    if (!Number.isInteger(seed)) throw new TrainerAppError(`--seeds takes whole numbers, got "${item}".`);
    return seed;
  });
  if (new Set(seeds).size !== seeds.length) throw new TrainerAppError(`--seeds repeats a seed: "${raw}".`);
  return seeds;
}

/** Parses `hdpo-train repro` flags; a bad flag or value throws TrainerAppError naming it. */
export function parseReproArgs(args: readonly string[]): ReproArgs {
  let values: Record<string, string | boolean | string[] | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: false,
      options: {
        preset: { type: "string" },
        config: { type: "string" },
        out: { type: "string" },
        doc: { type: "string" },
        seeds: { type: "string" },
        methods: { type: "string" },
        "rl-steps": { type: "string" },
        backend: { type: "string" },
        quiet: { type: "boolean" },
        set: { type: "string", multiple: true },
      },
    }));
  } catch (error) {
    throw new TrainerAppError(`${(error as Error).message}. See hdpo-train --help.`);
  }
  const text = (name: string): string | undefined =>
    typeof values[name] === "string" ? (values[name] as string) : undefined;
  const layers: Record<string, unknown>[] = [];
  const rlSteps = text("rl-steps");
  if (rlSteps !== undefined) {
    const steps = Number(rlSteps);
    if (rlSteps.trim() === "" || !Number.isInteger(steps)) {
      throw new TrainerAppError(`--rl-steps must be a whole number, got "${rlSteps}".`);
    }
    layers.push(objectAtPath("rl.steps", steps));
  }
  const backend = text("backend");
  if (backend !== undefined) layers.push({ backend });
  for (const assignment of (values.set as string[] | undefined) ?? []) {
    const { path, value } = parseSetAssignment(assignment);
    if (path === "seed" || path === "rl.advantage" || path === "rl.wTool") {
      throw new TrainerAppError(
        `--set ${path} is set per run by the study; use --seeds and --methods instead.`,
      );
    }
    layers.push(objectAtPath(path, value));
  }
  const seeds = text("seeds");
  const methods = text("methods");
  const parsed: ReproArgs = {
    seeds: seeds === undefined ? [...DEFAULT_REPRO_SEEDS] : seedList(seeds),
    quiet: values.quiet === true,
    overrides: mergeConfig(...layers),
  };
  if (methods !== undefined) parsed.methods = list("methods", methods);
  for (const [key, flag] of [
    ["preset", "preset"],
    ["configFile", "config"],
    ["out", "out"],
    ["doc", "doc"],
  ] as const) {
    const value = text(flag);
    if (value !== undefined) parsed[key] = value;
  }
  return parsed;
}
