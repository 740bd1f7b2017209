import { copyFile, mkdir, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Learner, LearnerDatum, LearnerInfo } from "@hdpo/core";
import { LearnerError, TfjsLearner, TinkerLearner, type TinkerLearnerOptions } from "@hdpo/learner";
import { type ByteLevelBpeTokenizer, CHECKPOINT_FILES, loadPolicy } from "@hdpo/policy";
import { TrainerError } from "../trainer-error";
import type { RunConfig } from "./run-config";

/** Where a learner starts: a Hugging Face folder with the starting weights and the tokenizer. */
export interface LearnerStart {
  /** The starting policy (the run's `base/` folder, or the SFT policy for a KL reference). */
  baseDirectory: string;
  tokenizer: ByteLevelBpeTokenizer;
  /** Where the learner may keep states it saves (the run's `checkpoints/` folder). */
  stateDirectory: string;
}

/** Makes the learner a run trains through. */
export type LearnerFactory = (start: LearnerStart) => Promise<Learner>;

/** The embedded default: the in-process tfjs learner over the starting policy, on the active backend. */
export const tfjsLearnerFactory: LearnerFactory = async ({ baseDirectory, stateDirectory }) => {
  const { model, tokenizer } = await loadPolicy(baseDirectory);
  return new TfjsLearner({ model, tokenizer, stateDirectory, baseModel: baseDirectory, ownsModel: true });
};

/**
 * The learner `config.learner` names: in process, or a Tinker-API server (`learner.url`). A server for a run
 * without `learner.tokenizer` must serve the run's own starting policy; that is checked on a probe sequence.
 */
export function learnerFactoryFor(config: RunConfig): LearnerFactory {
  const settings = config.learner;
  const url = settings.url;
  if (url === undefined) return tfjsLearnerFactory;
  return async ({ baseDirectory, tokenizer }) => {
    const learner = await asTrainerError(() => TinkerLearner.connect(tinkerOptions(config, url)));
    if (settings.tokenizer === undefined) {
      try {
        await checkServesStartingPolicy(learner, baseDirectory, tokenizer, url);
      } catch (error) {
        await learner.close();
        throw error;
      }
    }
    return learner;
  };
}

/**
 * For a remote learner: the server answers and serves `learner.baseModel`, asked before any work (the suite and the
 * cold start take minutes on a large preset).
 * @throws TrainerError with one line.
 */
export async function checkRemoteLearner(config: RunConfig): Promise<void> {
  const url = config.learner.url;
  if (url !== undefined) await asTrainerError(() => TinkerLearner.check(tinkerOptions(config, url)));
}

function tinkerOptions(config: RunConfig, url: string): TinkerLearnerOptions {
  const settings = config.learner;
  return {
    baseUrl: url,
    baseModel: settings.baseModel!,
    loraRank: settings.loraRank,
    loraSeed: settings.loraSeed ?? config.seed,
    tags: ["hdpo", `seed-${config.seed}`],
    requestTimeoutMs: Math.round(settings.requestTimeoutS * 1000),
    retries: settings.retries,
    futureTimeoutMs: Math.round(settings.futureTimeoutS * 1000),
  };
}

/** The client's one-line errors, as the trainer's (the CLI prints those without a stack). */
async function asTrainerError<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof LearnerError) throw new TrainerError(`learner: ${error.message}`);
    throw error;
  }
}

/**
 * What a run's config asks that no remote learner can do, found before any work.
 * @throws TrainerError with one line.
 */
export function checkLearnerConfig(config: RunConfig, fromSft: string | undefined): void {
  if (config.learner.url === undefined) return;
  if (config.rl.klCoef > 0) {
    throw new TrainerError(
      `rl.klCoef ${config.rl.klCoef} needs a frozen copy of the SFT policy to score against, and a Tinker server ` +
        "serves no reference model (SkyRL forces its KL loss off); set rl.klCoef 0 (the presets use none) or train in process.",
    );
  }
  if (fromSft !== undefined) {
    throw new TrainerError(
      "--from-sft loads a local SFT policy, which a remote learner cannot; drop --from-sft or train in process.",
    );
  }
}

/** What the learner will not do as the config asks: refusals, and settings it ignores (said at start). */
export interface LearnerFit {
  /** Settings the learner cannot honour: the run would not be the configured one. */
  problems: string[];
  /** Settings the learner replaces with its own; the run goes on. */
  ignored: string[];
}

/** Compares what the config asks of the learner with what the learner says it does. */
export function learnerFit(config: RunConfig, info: LearnerInfo): LearnerFit {
  const { capabilities } = info;
  const problems: string[] = [];
  const ignored: string[] = [];
  if (config.rl.entropyCoef > 0 && !capabilities.entropy) {
    problems.push(
      `rl.entropyCoef ${config.rl.entropyCoef} needs the entropy of the next-token distribution, which this ` +
        `${info.kind} learner does not compute; set rl.entropyCoef 0`,
    );
  }
  const served = capabilities.temperatures;
  if (served !== undefined && !served.some((t) => Math.abs(t - config.rl.temperature) <= 1e-9)) {
    problems.push(
      `rl.temperature ${config.rl.temperature}: the learner scores log-probs at temperature ${served.join(", ")} ` +
        "only, so the PPO ratio would be off from the first update; sample at that temperature, or start the " +
        "server with this one (SkyRL: trainer.algorithm.temperature; hdpo-learner: --temperature)",
    );
  }
  if (capabilities.adamParams === "learning-rate") {
    ignored.push(
      "the learner takes only the learning rate from each optimizer step: the betas, eps and weight decay of " +
        "sft.adam and rl.adam are the server's own (SkyRL fsdp/megatron: betas 0.9/0.999, weight decay 0.01)",
    );
  }
  const clip = capabilities.fixedGradClipNorm;
  if (clip !== undefined) {
    const asked = [
      ["sft.gradClip", config.sft.gradClip],
      ["rl.gradClip", config.rl.gradClip],
    ].filter(([, value]) => value !== clip);
    if (asked.length > 0) {
      ignored.push(
        `${asked.map(([name, value]) => `${name} ${value}`).join(" and ")}: the learner clips the gradient norm at ${clip} itself`,
      );
    }
  }
  return { problems, ignored };
}

/**
 * `out/base` for a pretrained remote base: its tokenizer (copied from `learner.tokenizer`), which renders every
 * chat the run samples and trains on. The weights stay on the server.
 * @throws TrainerError when the folder has no tokenizer.json.
 */
export async function writeRemoteBase(tokenizerDirectory: string, baseDirectory: string): Promise<void> {
  const source = join(tokenizerDirectory, CHECKPOINT_FILES.tokenizer);
  if (!(await stat(source).catch(() => undefined))?.isFile()) {
    throw new TrainerError(
      `learner.tokenizer: ${source} does not exist; pass the base model's Hugging Face folder (the one holding tokenizer.json).`,
    );
  }
  await mkdir(baseDirectory, { recursive: true });
  await copyFile(source, join(baseDirectory, CHECKPOINT_FILES.tokenizer));
  // The chat template and special-token settings travel with it when the folder has them.
  const config = join(tokenizerDirectory, "tokenizer_config.json");
  if ((await stat(config).catch(() => undefined))?.isFile()) {
    await copyFile(config, join(baseDirectory, "tokenizer_config.json"));
  }
}

/** The probe's tokens: a short chat, so every id is one the tokenizer really produces. */
const PROBE_TEXT = "<|im_start|>user\nWhat is 12 times 7?<|im_end|>\n<|im_start|>assistant\n";
/** Largest |Δ log p| on the probe between the server and the local starting policy: float32 noise across backends. */
const PROBE_TOLERANCE = 1e-4;

/**
 * Checks that the server's model is this run's starting policy (`out/base`, which the run trained its tokenizer
 * for): the log-probs of a probe sequence must agree with the local model's. Otherwise every token id the run sends
 * would mean something else to the server.
 * @throws TrainerError saying how to start a server on the right model.
 */
async function checkServesStartingPolicy(
  learner: Learner,
  baseDirectory: string,
  tokenizer: ByteLevelBpeTokenizer,
  url: string,
): Promise<void> {
  const ids = tokenizer.encode(PROBE_TEXT);
  const probe: LearnerDatum = {
    modelInput: [{ type: "encoded_text", tokens: ids.slice(0, -1) }],
    targetTokens: ids.slice(1),
  };
  const local = await tfjsLearnerFactory({ baseDirectory, tokenizer, stateDirectory: baseDirectory });
  let expected: number[];
  try {
    expected = (await local.forward([probe])).logProbs[0]!;
  } finally {
    await local.close();
  }
  let served: number[];
  try {
    served = (await learner.forward([probe])).logProbs[0]!;
  } catch (error) {
    throw new TrainerError(
      `learner: the server at ${url} could not score this run's probe (${(error as Error).message}); ` +
        "a server for a run without learner.tokenizer must serve the run's own starting policy.",
    );
  }
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    worst = Math.max(worst, Math.abs(expected[i]! - (served[i] ?? Number.NaN)));
    if (Number.isNaN(worst)) break;
  }
  if (!(worst <= PROBE_TOLERANCE)) {
    throw new TrainerError(
      `learner: the server at ${url} serves another model than this run's starting policy (log-probs of a probe ` +
        `differ by ${Number.isNaN(worst) ? "NaN" : worst.toExponential(2)}); start hdpo-learner with --checkpoint ` +
        `${baseDirectory} (or --preset NAME for a preset run with the same seed), or set learner.tokenizer to train ` +
        "a pretrained base.",
    );
  }
}
