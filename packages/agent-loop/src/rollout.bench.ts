import type { Task } from "@hdpo/core";
import { bench, describe } from "vitest";
import { rollout } from "./rollout";
import { InProcessTools } from "./test-support/in-process-tools";
import { ScriptedPolicy } from "./test-support/scripted-policy";

// Loop overhead only: an instant policy (3 tool calls, then an answer) and instant in-process tools.
// Each trajectory is 4 turns, so turns/s = 4 · 1024 / (mean ms / 1000).
const TURNS_PER_TRAJECTORY = 4;
const TRAJECTORIES = 1024;
const tasks: Task[] = Array.from({ length: TRAJECTORIES / 8 }, (_, i) => ({
  id: `t${i}`,
  question: `Q${i}`,
  answer: "a",
}));
const call =
  '<reason>compute</reason><tool_call>{"name":"python","arguments":{"code":"print(1)"}}</tool_call>';
const policy = new ScriptedPolicy(({ step }) =>
  step < TURNS_PER_TRAJECTORY - 1 ? call : "<answer>a</answer>",
);
const tools = new InProcessTools(
  () => ({ text: "Code execution result:\nstdout:\n```\n1\n```", valid: true, done: false }),
  false,
);

describe(`rollout loop overhead (${TRAJECTORIES} trajectories × ${TURNS_PER_TRAJECTORY} turns, concurrency 256)`, () => {
  bench(
    "rollout",
    async () => {
      await rollout(tasks, { policy, tools, groupSize: 8, concurrency: 256 });
    },
    { iterations: 20, warmupIterations: 3 },
  );
});
