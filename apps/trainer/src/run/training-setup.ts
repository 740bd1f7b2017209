import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Task } from "@hdpo/core";
import { createJudge, type Judge } from "@hdpo/judge";
import { generateSuite, SUITE_NUMERIC_TOLERANCE, type Suite, systemPrompt, writeSuite } from "@hdpo/tasks";
import {
  createTextSearch,
  createToolRuntime,
  InProcessToolExecutor,
  openAITools,
  type ToolRuntime,
} from "@hdpo/tools";
import { type ColdStartTrajectory, coldStartTrajectories } from "@hdpo/trainer";
import type { RunConfig } from "../config/run-config";
import { COMPACT_SYSTEM_PROMPT } from "./compact-system-prompt";

/** What every phase works with: the suite, the tools, the judge, the prompt and the cold-start demos. */
export interface TrainingSetup {
  suite: Suite;
  trainTasks: Task[];
  testTasks: Task[];
  runtime: ToolRuntime;
  tools: InProcessToolExecutor;
  judge: Judge;
  systemPrompt: string;
  demos: ColdStartTrajectory[];
  /** Stops the tools and removes their session folders. */
  close(): Promise<void>;
}

/** Text tasks only: the in-process policy cannot see images. */
function textTasks(tasks: readonly Task[]): Task[] {
  return tasks.filter((task) => (task.images?.length ?? 0) === 0);
}

/**
 * Generates the suite (seeded), writes it to `dataDir`, starts the in-process tools (sandboxed Python, the local
 * search over the suite's corpus) and writes the cold-start demonstrations against them (unless `coldStart` is
 * false: a run that resumes or starts after SFT needs none). Everything here is a
 * function of the config, so a resumed run rebuilds exactly the same setup.
 */
export async function prepareTraining(
  config: RunConfig,
  dataDir: string,
  options: { coldStart?: boolean } = {},
): Promise<TrainingSetup> {
  const suite = generateSuite({
    seed: config.suite.seed ?? config.seed,
    families: config.suite.families,
    sizes: config.suite.sizes,
    ...(config.suite.templates !== undefined ? { templates: config.suite.templates } : {}),
  });
  const sessionRoot = await mkdtemp(join(tmpdir(), "hdpo-train-"));
  const runtime = await createToolRuntime({
    python: { prewarm: 1, sessionRoot },
    textSearch: await createTextSearch({
      provider: "local",
      corpus: suite.corpus,
      cache: false,
      maxResults: config.suite.searchResults,
    }),
    workers: 2,
    idleTimeoutMs: Number.POSITIVE_INFINITY,
  });
  const close = async (): Promise<void> => {
    await runtime.shutdown();
    await rm(sessionRoot, { recursive: true, force: true });
  };
  try {
    const tools = new InProcessToolExecutor(runtime);
    const fullPrompt = systemPrompt({
      tools: openAITools(runtime.registry).filter((t) => ["python", "search"].includes(t.function.name)),
    });
    const prompt = config.suite.systemPrompt === "compact" ? COMPACT_SYSTEM_PROMPT : fullPrompt;
    await writeSuite(dataDir, suite, { formats: config.run.dataFormats, systemPrompt: prompt });
    const trainTasks = textTasks(suite.tasks.train);
    const testTasks = textTasks(suite.tasks.test).slice(0, config.eval.limit);
    const demos =
      options.coldStart === false
        ? []
        : await coldStartTrajectories(trainTasks, {
            tools,
            seed: config.seed,
            toolRate: config.sft.toolRate,
            directRationales: config.sft.directRationales,
            systemPrompt: prompt,
            maxObservationTokens: config.rl.maxObservationTokens,
          });
    return {
      suite,
      trainTasks,
      testTasks,
      runtime,
      tools,
      judge: createJudge({ tolerance: SUITE_NUMERIC_TOLERANCE }),
      systemPrompt: prompt,
      demos,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
