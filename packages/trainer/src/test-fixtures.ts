// Tiny pipelines over real tools for tests (this package's and, via `@hdpo/trainer/testing`, downstream ones).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Task } from "@hdpo/core";
import type { DecoderModel } from "@hdpo/policy";
import { type Suite, systemPrompt } from "@hdpo/tasks";
import { tinySuite } from "@hdpo/tasks/testing";
import {
  createTextSearch,
  createToolRuntime,
  InProcessToolExecutor,
  openAITools,
  type ToolRuntime,
} from "@hdpo/tools";
import { type ColdStartTrajectory, coldStartTrajectories } from "./cold-start-trajectories";
import { conversationMessages } from "./conversation";
import { createModel } from "./model-from-config";
import { trainChatTokenizer } from "./train-tokenizer";

/** The suite's text tasks (image tasks need a vision policy). */
export function textTasks(tasks: readonly Task[]): Task[] {
  return tasks.filter((task) => (task.images?.length ?? 0) === 0);
}

/** Real tools: sandboxed Python and the `local` search provider over the suite's corpus. */
export async function suiteRuntime(suite: Suite): Promise<ToolRuntime> {
  const sessionRoot = mkdtempSync(join(tmpdir(), "hdpo-trainer-"));
  const runtime = await createToolRuntime({
    python: { prewarm: 1, sessionRoot },
    textSearch: await createTextSearch({ provider: "local", corpus: suite.corpus, cache: false }),
    workers: 2,
    idleTimeoutMs: Number.POSITIVE_INFINITY,
  });
  // Shutting the tools down also removes their session folders.
  const shutdown = runtime.shutdown.bind(runtime);
  runtime.shutdown = async () => {
    await shutdown();
    rmSync(sessionRoot, { recursive: true, force: true });
  };
  return runtime;
}

/** The trainer's system prompt for the python and search tools. */
export function trainerSystemPrompt(runtime: ToolRuntime): string {
  const tools = openAITools(runtime.registry).filter((t) => ["python", "search"].includes(t.function.name));
  return systemPrompt({ tools });
}

/** A tiny pipeline: suite, real tools, cold-start demos, a tokenizer trained on them, a tiny model. */
export interface TinyPipeline {
  suite: Suite;
  runtime: ToolRuntime;
  system: string;
  demos: ColdStartTrajectory[];
  tokenizer: ReturnType<typeof trainChatTokenizer>;
  createModel(seed?: number): DecoderModel;
}

/** Direct, python and search tasks only (short prompts), cold-start demos over real tools, vocab 600. */
export async function tinyPipeline(seed = 1): Promise<TinyPipeline> {
  const suite = tinySuite(seed, { families: ["direct", "python", "search"] });
  const runtime = await suiteRuntime(suite);
  const system = "Answer with <reason>..</reason> then a <tool_call> or an <answer>.";
  const tools = new InProcessToolExecutor(runtime);
  const demos = await coldStartTrajectories(suite.tasks.train, { tools, seed, systemPrompt: system });
  const tokenizer = trainChatTokenizer(
    demos.map((d) => conversationMessages(d.prompt, d.trajectory.turns)),
    { vocabSize: 600 },
  );
  return {
    suite,
    runtime,
    system,
    demos,
    tokenizer,
    createModel: (modelSeed = 3) =>
      createModel(
        {
          hiddenSize: 16,
          intermediateSize: 32,
          layers: 1,
          attentionHeads: 2,
          keyValueHeads: 1,
          maxPositions: 1024,
          seed: modelSeed,
        },
        tokenizer,
      ),
  };
}
