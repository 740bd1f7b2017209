import type { ObservationTurn } from "@hdpo/core";
import { generateSuite } from "@hdpo/tasks";
import { InProcessToolExecutor, type ToolRuntime } from "@hdpo/tools";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { coldStartTrajectories } from "./cold-start-trajectories";
import { directRationale } from "./direct-rationale";
import { suiteRuntime, trainerSystemPrompt } from "./test-fixtures";

const suite = generateSuite({ seed: 11, sizes: { train: 12, val: 1, test: 1 } });

describe("coldStartTrajectories over the real tools", () => {
  let runtime: ToolRuntime;
  beforeAll(async () => {
    runtime = await suiteRuntime(suite);
  });
  afterAll(async () => {
    await runtime?.shutdown();
  });

  it("calls tools reflexively, observes the real tool output, and answers correctly", async () => {
    const tools = new InProcessToolExecutor(runtime);
    const system = trainerSystemPrompt(runtime);
    const demos = await coldStartTrajectories(suite.tasks.train, { tools, seed: 5, systemPrompt: system });
    // image tasks are skipped, every text task gets a demonstration
    const text = suite.tasks.train.filter((t) => t.images === undefined || t.images.length === 0);
    expect(demos.map((d) => d.task.id)).toEqual(text.map((t) => t.id));

    const withTool = demos.filter((d) => d.trajectory.toolCalls > 0);
    expect(withTool.length / demos.length).toBeGreaterThanOrEqual(0.9);
    const unnecessary = demos.filter((d) => d.task.toolNecessity === "unnecessary");
    expect(unnecessary.filter((d) => d.trajectory.toolCalls > 0).length).toBeGreaterThanOrEqual(
      Math.floor(unnecessary.length * 0.75),
    );

    for (const { task, prompt, trajectory } of demos) {
      expect(prompt[0]).toEqual({ role: "system", content: system });
      expect(trajectory.finishReason).toBe("answer");
      expect(trajectory.answer).toBe(task.answer);
      expect(trajectory.turns.at(-1)?.text).toMatch(/^<reason>[^<]+<\/reason><answer>[^<]+<\/answer>$/);
      if (task.toolNecessity === "required") expect(trajectory.toolCalls).toBe(1);
      if (trajectory.toolCalls === 0) continue;
      const first = trajectory.turns[0]!;
      expect(first.role).toBe("assistant");
      expect(first.text).toMatch(/^<reason>[^<]+<\/reason><tool_call>\{.*\}<\/tool_call>$/s);
      const observation = trajectory.turns[1] as ObservationTurn;
      expect(observation.role).toBe("observation");
      expect(observation.valid).toBe(true);
      const expectedTool = task.category === "search" ? "search" : "python";
      expect(observation.toolName).toBe(expectedTool);
      // The tool really computed or found the answer.
      expect(observation.text).toContain(String(task.answer));
      if (expectedTool === "python") expect(observation.text).toContain("Code execution result");
    }

    // The observations are the tools' real outputs: running the same action again gives the same text.
    for (const { trajectory } of withTool.slice(0, 6)) {
      const action = trajectory.turns[0]!.text;
      const again = await tools.execute(`replay-${trajectory.id}`, action);
      await tools.close(`replay-${trajectory.id}`);
      expect(again.text).toBe(trajectory.turns[1]!.text);
    }
  });

  it("is reproducible and honours toolRate 0 for tool-unnecessary tasks", async () => {
    const tools = new InProcessToolExecutor(runtime);
    const tasks = suite.tasks.train.filter((t) => t.category === "direct" || t.category === "python");
    const a = await coldStartTrajectories(tasks, { tools, seed: 9, toolRate: 0 });
    const b = await coldStartTrajectories(tasks, { tools, seed: 9, toolRate: 0 });
    expect(a.map((d) => d.trajectory.turns.map((t) => t.text))).toEqual(
      b.map((d) => d.trajectory.turns.map((t) => t.text)),
    );
    for (const { task, trajectory } of a) {
      expect(trajectory.toolCalls).toBe(task.toolNecessity === "required" ? 1 : 0);
    }
    await expect(coldStartTrajectories(tasks, { tools, seed: 1, toolRate: 1.5 })).rejects.toThrow(/toolRate/);
  });

  it("reasons step by step in direct answers with directRationales, and only there", async () => {
    const tools = new InProcessToolExecutor(runtime);
    const tasks = generateSuite({
      seed: 12,
      families: ["direct"],
      sizes: { train: 12, val: 0, test: 0 },
      templates: { direct: ["compare-yes-no", "capital-choice"] },
    }).tasks.train;
    const worked = await coldStartTrajectories(tasks, {
      tools,
      seed: 3,
      toolRate: 0,
      directRationales: true,
    });
    const stock = await coldStartTrajectories(tasks, { tools, seed: 3, toolRate: 0 });
    worked.forEach(({ task, trajectory }, i) => {
      expect(trajectory.turns[0]!.text).toBe(
        `<reason>${directRationale(task)}</reason><answer>${task.answer}</answer>`,
      );
      expect(stock[i]!.trajectory.turns[0]!.text).not.toContain(directRationale(task)!);
    });
    // Tool calls are unchanged by it.
    const withTools = await coldStartTrajectories(tasks, {
      tools,
      seed: 3,
      toolRate: 1,
      directRationales: true,
    });
    for (const { trajectory } of withTools) expect(trajectory.toolCalls).toBe(1);
  });
});
