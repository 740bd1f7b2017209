import type { Task, Turn } from "@hdpo/core";
import type { TrajectoryRow } from "../rows/curation-row";

/** One python call of a fixture trajectory and the observation recorded for it. */
export interface PythonCallFixture {
  code: string;
  /** The recorded observation text (e.g. what the sandbox printed, or a tampered version). */
  observation: string;
  images?: string[];
}

/** A trajectory row in the text protocol: each call, its recorded observation, then the answer. */
export function pythonTrajectoryRow(options: {
  id: string;
  task: Task;
  calls: readonly PythonCallFixture[];
  answer: string;
}): TrajectoryRow {
  const turns: Turn[] = [];
  for (const call of options.calls) {
    const payload = JSON.stringify({ name: "python", arguments: { code: call.code } });
    turns.push({
      role: "assistant",
      text: `<reason>compute</reason><tool_call>${payload}</tool_call>`,
      toolCall: { name: "python", arguments: { code: call.code }, raw: payload },
      finishReason: "tool-call",
    });
    turns.push({
      role: "observation",
      text: call.observation,
      valid: true,
      toolName: "python",
      ...(call.images === undefined ? {} : { images: call.images }),
    });
  }
  const final = `<reason>done</reason><answer>${options.answer}</answer>`;
  turns.push({ role: "assistant", text: final, finishReason: "stop" });
  return {
    id: options.id,
    taskId: options.task.id,
    groupId: options.task.id,
    rolloutIndex: 0,
    turns,
    finalText: turns.map((turn) => turn.text).join("\n"),
    answer: options.answer,
    toolCalls: options.calls.length,
    toolCallsByName: { python: options.calls.length },
    invalidToolCalls: 0,
    finishReason: "answer",
    timings: { startedAt: "2026-01-01T00:00:00.000Z", totalMs: 0, generationMs: 0, toolMs: 0 },
    task: options.task,
  };
}
