import { describe, expect, it } from "vitest";
import { createToolRuntime } from "../runtime/create-tool-runtime";
import { InProcessToolExecutor } from "./in-process-tool-executor";

describe("InProcessToolExecutor", () => {
  it("executes through the runtime and closes through it", async () => {
    const runtime = await createToolRuntime({ python: false });
    const executor = new InProcessToolExecutor(runtime);
    try {
      const action = '<tool_call>{"name": "image_search", "arguments": {}}</tool_call>';
      expect(await executor.execute("t", action, { index: "none", images: [] })).toEqual({
        text: "No result found for image search.",
        valid: true,
        done: false,
        metrics: { search_success: false, timeout: false },
        toolName: "image_search",
      });
      expect((await executor.execute("t", action)).metrics).toEqual({ deduplicated: true, timeout: false });
      expect(await executor.execute("t", "no call")).toEqual({ text: "", valid: false, done: false });
      await executor.close("t");
      expect(runtime.stats().trajectories).toBe(0);
      // Closed: the cap starts over.
      expect((await executor.execute("t", action)).metrics).toEqual({
        search_success: false,
        timeout: false,
      });
    } finally {
      await runtime.shutdown();
    }
  });

  it("turns a refused request into the remote executor's failure observation", async () => {
    const runtime = await createToolRuntime({ python: false, maxQueue: 1 });
    const executor = new InProcessToolExecutor(runtime);
    try {
      const action = '<tool_call>{"name": "image_search", "arguments": {}}</tool_call>';
      const [admitted, refused] = await Promise.all([
        executor.execute("a", action),
        executor.execute("b", action),
      ]);
      expect(admitted.valid).toBe(true);
      expect(refused).toMatchObject({
        valid: false,
        done: true,
        text: expect.stringMatching(/^Tool call error: .*overloaded/),
      });
      expect(refused.error).toBe(refused.text);
    } finally {
      await runtime.shutdown();
    }
  });
});
