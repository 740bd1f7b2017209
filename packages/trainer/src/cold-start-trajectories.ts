import { buildPromptMessages, runTrajectory } from "@hdpo/agent-loop";
import type { Message, Policy, PolicyRequest, PolicyTurn, Task, ToolExecutor, Trajectory } from "@hdpo/core";
import { SeededRandom } from "@hdpo/tasks";
import { type ColdStartPlan, coldStartPlan } from "./cold-start-turns";
import { TrainerError } from "./trainer-error";

/** Options of {@link coldStartTrajectories}. */
export interface ColdStartOptions {
  /** The tools the observations come from (e.g. `new InProcessToolExecutor(runtime)`): executed for real. */
  tools: ToolExecutor;
  /** Seed of the texts and of which tool-unnecessary tasks answer directly. */
  seed: number | string;
  /** Share of tool-unnecessary tasks that still call a tool; tool-required tasks always do. Default 0.95. */
  toolRate?: number;
  /** Direct answers reason step by step where the template has a worked reason (`directRationale`). Default false. */
  directRationales?: boolean;
  /** The system prompt of tasks without their own prompt (`systemPrompt({ tools })` of `@hdpo/tasks`). */
  systemPrompt?: string;
  /** Observation cut, as in the rollouts that will follow (default the agent loop's). */
  maxObservationTokens?: number;
  /** Token counter for the cut (the tokenizer's, when it exists; default the loop's approximation). */
  countTokens?: (text: string) => number;
  /** Trajectories at once. Default 4. */
  concurrency?: number;
}

/** One cold-start demonstration: the prompt the model sees and the trajectory it should imitate. */
export interface ColdStartTrajectory {
  task: Task;
  prompt: Message[];
  trajectory: Trajectory;
}

/**
 * Cold-start trajectories in the reference format: `<reason>…</reason><tool_call>{…}</tool_call>`, the tool's real
 * observation, then `<reason>…</reason><answer>X</answer>`, run through the agent loop against `tools` so every
 * observation is what the tool really answered. Tools are used reflexively: every tool-required task and a
 * `toolRate` share of the tool-unnecessary ones call a tool. Tasks with images are skipped (a text policy cannot
 * see them). The answer written is the ground truth; a trajectory whose tool failed keeps its error observation.
 */
export async function coldStartTrajectories(
  tasks: readonly Task[],
  options: ColdStartOptions,
): Promise<ColdStartTrajectory[]> {
  const toolRate = options.toolRate ?? 0.95;
  if (!(toolRate >= 0 && toolRate <= 1)) {
    throw new TrainerError(`coldStartTrajectories: toolRate must be in [0, 1], got ${String(toolRate)}.`);
  }
  const random = new SeededRandom(options.seed);
  const jobs = tasks
    .filter((task) => (task.images?.length ?? 0) === 0)
    .map((task) => {
      const useTool = task.toolNecessity === "required" || random.chance(toolRate);
      return { task, plan: coldStartPlan(task, random, useTool, options.directRationales ?? false) };
    });
  const results: ColdStartTrajectory[] = new Array(jobs.length);
  const concurrency = options.concurrency ?? 4;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const index = next++;
      const { task, plan } = jobs[index]!;
      const prompt = buildPromptMessages(task, options.systemPrompt);
      const trajectory = await runTrajectory(task, {
        policy: new TeacherPolicy(plan),
        tools: options.tools,
        maxTurns: 1,
        trajectoryId: `cold-start-${String(options.seed)}-${index}`,
        ...(options.systemPrompt !== undefined ? { systemPrompt: options.systemPrompt } : {}),
        ...(options.maxObservationTokens !== undefined
          ? { maxObservationTokens: options.maxObservationTokens }
          : {}),
        ...(options.countTokens !== undefined ? { countTokens: options.countTokens } : {}),
      });
      if (trajectory.finishReason === "error") {
        throw new TrainerError(
          `coldStartTrajectories: task "${task.id}" failed in the agent loop: ${trajectory.error ?? "unknown cause"}.`,
        );
      }
      results[index] = { task, prompt, trajectory };
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, jobs.length)) }, worker));
  return results;
}

/** Writes the planned turns: the opening turn, then (after the observation) the closing one. */
class TeacherPolicy implements Policy {
  readonly name = "cold-start-teacher";
  constructor(private readonly plan: ColdStartPlan) {}

  async generate(request: PolicyRequest): Promise<PolicyTurn> {
    const written = request.messages.filter((m) => m.role === "assistant").length;
    const text = written === 0 ? this.plan.firstTurn : this.plan.finalTurn;
    return { text, finishReason: "stop" };
  }
}
