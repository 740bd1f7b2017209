import { randomUUID } from "node:crypto";
import type { Trajectory } from "@hdpo/core";
import { createToolRuntime, type ToolRuntime, type ToolRuntimeOptions } from "@hdpo/tools";
import type { StageDecision } from "../rows/row-decision";
import { compareObservation, type ObservationTolerance } from "./compare-observation";
import type { Stage } from "./stage";
import { taskImagesAsDataUris } from "./task-images";

/** Options of {@link createReexecStage}. */
export interface ReexecOptions {
  /** Trajectories re-executed at once (each holds one sandbox session). Default 2. */
  concurrency?: number;
  tolerance?: ObservationTolerance;
  /** A runtime to use (not shut down by the stage); default one is created with `runtimeOptions`. */
  runtime?: ToolRuntime;
  runtimeOptions?: ToolRuntimeOptions;
}

/** The tool names re-executed; search results change over time and are not replayed. */
const PYTHON_TOOLS = new Set(["python"]);

/**
 * Re-execution ("hallucinated environment dynamics"): every python call of a trajectory runs again, in order, in
 * ONE fresh sandbox session (the task's images as `image_1…`); the trajectory is dropped when a call fails or its
 * recorded observation disagrees with the fresh one after normalization. Task rows (no calls) pass.
 */
export function createReexecStage(options: ReexecOptions = {}): Stage {
  const concurrency = options.concurrency ?? 2;
  let runtime: Promise<ToolRuntime> | undefined;
  const ownRuntime = options.runtime === undefined;
  const getRuntime = () => {
    runtime ??= options.runtime
      ? Promise.resolve(options.runtime)
      : createToolRuntime({
          workers: concurrency,
          maxSessions: Math.max(concurrency, 2),
          idleTimeoutMs: 10 * 60 * 1000,
          ...options.runtimeOptions,
        });
    return runtime;
  };
  return {
    name: "reexec",
    concurrency,
    async process(row, context): Promise<StageDecision> {
      if (row.kind !== "trajectory") return { keep: true };
      const images = await taskImagesAsDataUris(row.task, context.baseDir);
      return reexecute(await getRuntime(), row.trajectory, images, options.tolerance ?? {});
    },
    async close() {
      if (ownRuntime && runtime !== undefined) await (await runtime).shutdown();
    },
  };
}

async function reexecute(
  runtime: ToolRuntime,
  trajectory: Trajectory,
  images: string[],
  tolerance: ObservationTolerance,
): Promise<StageDecision> {
  const session = `curate-${randomUUID().replaceAll("-", "")}`;
  let calls = 0;
  try {
    const turns = trajectory.turns;
    for (const [i, turn] of turns.entries()) {
      if (turn.role !== "assistant" || turn.toolCall === undefined || !PYTHON_TOOLS.has(turn.toolCall.name))
        continue;
      const recorded = turns[i + 1];
      // A call at the last turn is not executed by the loop: nothing was recorded, nothing to check.
      if (recorded === undefined || recorded.role !== "observation") continue;
      calls++;
      const reply = await runtime.call({
        trajectoryId: session,
        name: turn.toolCall.name,
        arguments: turn.toolCall.arguments,
        extra: { images },
      });
      const observation = reply.observation;
      const text = typeof observation === "string" ? observation : observation.obs;
      const success =
        reply.valid &&
        !reply.done &&
        typeof observation !== "string" &&
        (observation.metrics as { code_success?: unknown } | undefined)?.code_success !== false;
      if (!success) {
        return {
          keep: false,
          reason: "call-failed",
          detail: `python call ${calls} (turn ${i}) failed: ${clip(text)}`,
        };
      }
      const freshImages = typeof observation === "string" ? [] : (observation.image ?? []);
      const diff = await compareObservation(
        { text: recorded.text, images: recorded.images ?? [] },
        { text, images: freshImages },
        tolerance,
      );
      if (diff !== undefined) {
        return {
          keep: false,
          reason: "observation-mismatch",
          detail: `python call ${calls} (turn ${i + 1}): ${diff}`,
        };
      }
    }
    return { keep: true, annotations: { reexecCalls: calls } };
  } finally {
    await runtime.close(session);
  }
}

function clip(text: string): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
}
