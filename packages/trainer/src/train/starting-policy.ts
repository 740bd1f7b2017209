import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { savePolicy } from "@hdpo/policy";
import { useBackend } from "@hdpo/tensor";
import type { ColdStartTrajectory } from "../cold-start-trajectories";
import { conversationMessages } from "../conversation";
import { createModel } from "../model-from-config";
import { trainChatTokenizer } from "../train-tokenizer";
import type { RunConfig } from "./run-config";
import { prepareTraining } from "./training-setup";

/**
 * The policy a run of `config` starts from, in Hugging Face layout: a tokenizer trained on the cold-start
 * demonstrations and a fresh model of `config.model` (seeded). A function of the config alone.
 */
export async function saveStartingPolicy(
  config: RunConfig,
  demos: readonly ColdStartTrajectory[],
  directory: string,
): Promise<void> {
  const tokenizer = trainChatTokenizer(
    demos.map((d) => conversationMessages(d.prompt, d.trajectory.turns)),
    config.tokenizer,
  );
  const model = createModel(config.model, tokenizer);
  try {
    await savePolicy(directory, { model, tokenizer });
  } finally {
    model.dispose();
  }
}

/**
 * Writes to `directory` the policy `train()` writes to `out/base` for `config` — generating the suite, starting the
 * tools and writing the cold start to train its tokenizer — e.g. for a learner server that a run will then train.
 */
export async function writeStartingPolicy(config: RunConfig, directory: string): Promise<void> {
  await useBackend(config.backend);
  const data = await mkdtemp(join(tmpdir(), "hdpo-starting-policy-"));
  try {
    const setup = await prepareTraining(config, data, { coldStart: true });
    try {
      await saveStartingPolicy(config, setup.demos, directory);
    } finally {
      await setup.close();
    }
  } finally {
    await rm(data, { recursive: true, force: true });
  }
}
