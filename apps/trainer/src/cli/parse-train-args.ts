import { parseArgs } from "node:util";
import { mergeConfig, objectAtPath } from "../config/merge-config";
import { TrainerAppError } from "../trainer-app-error";
import { parseSetAssignment } from "./set-assignment";

/** `hdpo-train run` flags: where the config comes from, and the overrides shaped like the config. */
export interface TrainArgs {
  preset?: string;
  configFile?: string;
  out?: string;
  /** `--from-sft DIR`: start HDPO from that run's SFT policy. */
  fromSft?: string;
  resume: boolean;
  quiet: boolean;
  overrides: Record<string, unknown>;
}

const NUMBER_FLAGS: Record<string, string> = {
  seed: "seed",
  "sft-steps": "sft.steps",
  "rl-steps": "rl.steps",
  "batch-prompts": "rl.batchPrompts",
  "group-size": "rl.groupSize",
  "checkpoint-every": "run.checkpointEvery",
  "lora-rank": "learner.loraRank",
};

/** Flags that set one text field of the config. */
const TEXT_FLAGS: Record<string, string> = {
  backend: "backend",
  learner: "learner.url",
  "base-model": "learner.baseModel",
  tokenizer: "learner.tokenizer",
  "sampler-model": "sampler.model",
  "judge-model": "judge.model",
};

/** Parses `hdpo-train run` flags; a bad flag or value throws TrainerAppError naming it. */
export function parseTrainArgs(args: readonly string[]): TrainArgs {
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
        "from-sft": { type: "string" },
        "tool-server": { type: "string", multiple: true },
        "sampler-endpoint": { type: "string", multiple: true },
        judge: { type: "string" },
        resume: { type: "boolean" },
        quiet: { type: "boolean" },
        set: { type: "string", multiple: true },
        ...Object.fromEntries(
          [...Object.keys(NUMBER_FLAGS), ...Object.keys(TEXT_FLAGS)].map((name) => [
            name,
            { type: "string" as const },
          ]),
        ),
      },
    }));
  } catch (error) {
    throw new TrainerAppError(`${(error as Error).message}. See hdpo-train --help.`);
  }
  const layers: Record<string, unknown>[] = [];
  for (const [flag, path] of Object.entries(NUMBER_FLAGS)) {
    const raw = values[flag];
    if (typeof raw !== "string") continue;
    const value = Number(raw);
    if (raw.trim() === "" || !Number.isInteger(value)) {
      throw new TrainerAppError(`--${flag} must be a whole number, got "${raw}".`);
    }
    layers.push(objectAtPath(path, value));
  }
  for (const [flag, path] of Object.entries(TEXT_FLAGS)) {
    const raw = values[flag];
    if (typeof raw === "string") layers.push(objectAtPath(path, raw));
  }
  // Repeated, they name replicas: one URL stays a plain URL, as in a config file.
  const toolServers = values["tool-server"] as string[] | undefined;
  if (toolServers !== undefined) {
    layers.push({ tools: { server: toolServers.length === 1 ? toolServers[0] : toolServers } });
  }
  const samplerEndpoints = values["sampler-endpoint"] as string[] | undefined;
  if (samplerEndpoints !== undefined) layers.push({ sampler: { endpoints: samplerEndpoints } });
  // `--judge rules` after a config or variable that set an LLM judge goes back to the rules alone.
  if (typeof values.judge === "string") {
    layers.push({ judge: { baseUrl: values.judge === "rules" ? null : values.judge } });
  }
  for (const assignment of (values.set as string[] | undefined) ?? []) {
    const { path, value } = parseSetAssignment(assignment);
    layers.push(objectAtPath(path, value));
  }
  const text = (name: string): string | undefined =>
    typeof values[name] === "string" ? (values[name] as string) : undefined;
  const parsed: TrainArgs = {
    resume: values.resume === true,
    quiet: values.quiet === true,
    overrides: mergeConfig(...layers),
  };
  const preset = text("preset");
  const configFile = text("config");
  const out = text("out");
  const fromSft = text("from-sft");
  if (fromSft !== undefined) parsed.fromSft = fromSft;
  if (preset !== undefined) parsed.preset = preset;
  if (configFile !== undefined) parsed.configFile = configFile;
  if (out !== undefined) parsed.out = out;
  return parsed;
}
