import type { Task, ToolExecutor } from "@hdpo/core";
import type { Judge } from "@hdpo/judge";
import { generateSuite, type Suite, systemPrompt, writeSuite } from "@hdpo/tasks";
import { createBuiltinRegistry, openAITools } from "@hdpo/tools";
import { type ColdStartTrajectory, coldStartTrajectories } from "../cold-start-trajectories";
import { COMPACT_SYSTEM_PROMPT } from "./compact-system-prompt";
import type { RunConfig } from "./run-config";
import { createRunJudge } from "./run-judge";
import { createRunTools } from "./run-tools";

/** What every phase works with: the suite, the tools, the judge, the prompt and the cold-start demos. */
export interface TrainingSetup {
  suite: Suite;
  trainTasks: Task[];
  testTasks: Task[];
  /** The in-process tools, or the tool server's (`tools.server`). */
  tools: ToolExecutor;
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

/** The run's suite: a function of the config alone (seeded), so a resumed run and `hdpo-train suite` get the same. */
export function generateRunSuite(config: RunConfig): Suite {
  return generateSuite({
    seed: config.suite.seed ?? config.seed,
    families: config.suite.families,
    sizes: config.suite.sizes,
    ...(config.suite.templates !== undefined ? { templates: config.suite.templates } : {}),
  });
}

/** The system prompt of the run's rollouts: the reference's with the tools' schemas, or the compact one. */
export function runSystemPrompt(config: RunConfig): string {
  if (config.suite.systemPrompt === "compact") return COMPACT_SYSTEM_PROMPT;
  return systemPrompt({
    tools: openAITools(createBuiltinRegistry()).filter((t) => ["python", "search"].includes(t.function.name)),
  });
}

/** Writes the run's suite to `dataDir` (Parquet and/or JSONL as `run.dataFormats` says, and the corpus). */
export async function writeRunSuite(config: RunConfig, suite: Suite, dataDir: string): Promise<void> {
  await writeSuite(dataDir, suite, {
    formats: config.run.dataFormats,
    systemPrompt: runSystemPrompt(config),
  });
}

/**
 * Generates the suite (seeded), writes it to `dataDir`, starts the tools (in process: sandboxed Python and a local
 * search over the suite's corpus; or the tool server of `tools.server`, checked first) and the judge, and writes
 * the cold-start demonstrations against the tools (unless `coldStart` is false: a run that resumes or starts after
 * SFT needs none). Everything here is a function of the config, so a resumed run rebuilds exactly the same setup.
 */
export async function prepareTraining(
  config: RunConfig,
  dataDir: string,
  options: { coldStart?: boolean; tools?: ToolExecutor; judge?: Judge } = {},
): Promise<TrainingSetup> {
  const suite = generateRunSuite(config);
  const prompt = runSystemPrompt(config);
  await writeRunSuite(config, suite, dataDir);
  // Tools given by the caller stay the caller's to close.
  const { tools, close } =
    options.tools !== undefined
      ? { tools: options.tools, close: async () => undefined }
      : await createRunTools(config, suite);
  try {
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
      tools,
      judge: options.judge ?? createRunJudge(config),
      systemPrompt: prompt,
      demos,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
