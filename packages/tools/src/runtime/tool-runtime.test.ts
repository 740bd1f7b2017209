import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { createImageSearch } from "../image-search/index";
import { createBuiltinRegistry } from "../registry/builtin-tools";
import { defineTool } from "../registry/define-tool";
import { imageSearchDuplicateText } from "../registry/image-search-tool";
import { SEARCH_NOT_CONFIGURED_TEXT } from "../registry/search-tool";
import type { ObservationObject, ToolReply } from "../registry/tool-reply";
import { createTextSearch } from "../search/index";
import { TERMINATED_SESSION_NOTICE } from "../sessions/python-session-pool";
import { createToolRuntime } from "./create-tool-runtime";
import { liveDescendants } from "./process-tree.test-support";
import { ToolOverloadedError } from "./tool-overloaded-error";
import type { ToolRuntime } from "./tool-runtime";

const python = (code: string): string =>
  `<reason>r</reason><tool_call>${JSON.stringify({ name: "python", arguments: { code } })}</tool_call>`;
const tool = (name: string, args: unknown): string =>
  `<tool_call>${JSON.stringify({ name, arguments: args })}</tool_call>`;

function obsOf(reply: ToolReply): ObservationObject {
  if (typeof reply.observation === "string")
    throw new Error(`expected an observation object, got "${reply.observation}"`);
  return reply.observation;
}

/** The stdout fence of a python observation. */
function stdoutOf(reply: ToolReply): string {
  const match = /stdout:\n```\n([\s\S]*?)\n```/.exec(obsOf(reply).obs);
  if (match === null) throw new Error(`no stdout in: ${obsOf(reply).obs}`);
  return (match[1] ?? "").trimEnd();
}

// Session directories of this file's runtimes, apart from any other run's.
const sessionRoot = mkdtempSync(join(tmpdir(), "hdpo-runtime-test-"));
afterAll(() => rmSync(sessionRoot, { recursive: true, force: true }));

const CORPUS = [
  {
    id: "eiffel",
    title: "Eiffel Tower",
    url: "https://example.org/eiffel",
    text: "The Eiffel Tower was completed in 1889 in Paris.",
  },
  {
    id: "louvre",
    title: "Louvre",
    url: "https://example.org/louvre",
    text: "The Louvre is an art museum in Paris, home of the Mona Lisa.",
  },
];
const RED_PIXEL =
  "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC";

describe("ToolRuntime with real Python", () => {
  let runtime: ToolRuntime;

  beforeAll(async () => {
    runtime = await createToolRuntime({
      python: { prewarm: 1, sessionRoot },
      textSearch: await createTextSearch({ provider: "local", corpus: CORPUS, cache: false }),
      imageSearch: await createImageSearch({
        maps: [{ task_7: [{ title: "A red pixel", image: RED_PIXEL, url: "https://example.org/red" }] }],
      }),
      workers: 2,
    });
  });
  afterAll(async () => {
    await runtime?.shutdown();
  });

  it("keeps state within a trajectory and never leaks it to another", async () => {
    expect(
      obsOf(await runtime.handle({ trajectoryId: "keep-a", action: python("secret = 'a' * 3") })),
    ).toMatchObject({
      metrics: { code_success: true },
    });
    await runtime.handle({ trajectoryId: "keep-b", action: python("secret = 'b'") });
    expect(stdoutOf(await runtime.handle({ trajectoryId: "keep-a", action: python("print(secret)") }))).toBe(
      "aaa",
    );
    expect(stdoutOf(await runtime.handle({ trajectoryId: "keep-b", action: python("print(secret)") }))).toBe(
      "b",
    );
    const fresh = await runtime.handle({ trajectoryId: "keep-c", action: python("print(secret)") });
    expect(obsOf(fresh).obs).toContain("NameError");
    expect(fresh).toMatchObject({ valid: true, done: false, tool: "python" });
  });

  it("answers one trajectory's requests in order while others run", async () => {
    const steps = [0, 1, 2, 3, 4];
    const sent = steps.flatMap((i) => [
      runtime.handle({
        trajectoryId: "order-a",
        action: python(`log = globals().get('log', []) + [${i}]\nprint(log)`),
      }),
      runtime.handle({ trajectoryId: "order-b", action: python(`n = globals().get('n', 0) + 1\nprint(n)`) }),
    ]);
    const replies = await Promise.all(sent);
    steps.forEach((i) => {
      expect(stdoutOf(replies[2 * i]!)).toBe(`[${steps.slice(0, i + 1).join(", ")}]`);
      expect(stdoutOf(replies[2 * i + 1]!)).toBe(String(i + 1));
    });
  });

  it("loads the task's images as image_1… when a session starts", async () => {
    const reply = await runtime.handle({
      trajectoryId: "images",
      action: python("print(image_1.size, image_1.mode, image_1.getpixel((0, 0)))"),
      extra: { images: [RED_PIXEL] },
    });
    expect(stdoutOf(reply)).toBe("(1, 1) RGB (255, 0, 0)");
  });

  it("gives the reference's errors for empty code and empty queries, and blocks the reference's blocklist", async () => {
    const noCode = await runtime.handle({ trajectoryId: "errors", action: tool("python", { code: "" }) });
    expect(noCode).toMatchObject({
      observation: {
        obs: "Error: No code provided in the tool call arguments.",
        metrics: { code_success: false },
      },
      valid: false,
      done: false,
    });
    const noQuery = await runtime.handle({
      trajectoryId: "errors",
      action: tool("search", { query: "   " }),
    });
    expect(noQuery).toMatchObject({
      observation: { obs: "Error: Search query is empty." },
      valid: false,
      done: false,
    });
    const blocked = await runtime.handle({ trajectoryId: "errors", action: python("import subprocess") });
    expect(blocked).toMatchObject({
      observation: {
        obs: "Execution blocked: Code contains potentially dangerous operations or imports.",
        metrics: { code_success: false },
      },
      valid: true,
    });
    const unparsable = await runtime.handle({
      trajectoryId: "errors",
      action: "<tool_call>{nope</tool_call>",
    });
    expect(unparsable).toEqual({ observation: "", done: false, valid: false });
    const notObject = await runtime.handle({ trajectoryId: "errors", action: "<tool_call>[1]</tool_call>" });
    expect(notObject).toMatchObject({
      observation: { obs: "", tool_type: "metis" },
      done: true,
      valid: false,
    });
  });

  it("searches with the configured provider under both names, a list query meaning its first item", async () => {
    const reply = await runtime.handle({
      trajectoryId: "search",
      action: tool("search", { query: "Mona Lisa museum" }),
    });
    expect(reply).toMatchObject({
      valid: true,
      done: false,
      tool: "search",
      observation: { metrics: { search_success: true }, timeout: false },
    });
    expect(obsOf(reply).obs).toContain("[Title: Louvre](Link: https://example.org/louvre)");
    const alias = await runtime.handle({
      trajectoryId: "search",
      action: tool("text_search", { query: ["Eiffel Tower 1889", "ignored"] }),
    });
    expect(obsOf(alias).obs).toContain("A Google search for 'Eiffel Tower 1889'");
    expect(alias.tool).toBe("search");
  });

  it("runs image_search once per trajectory and answers later calls with the dedup notice", async () => {
    const extra = { index: "task_7" };
    const first = await runtime.handle({ trajectoryId: "img-a", action: tool("image_search", {}), extra });
    expect(first).toMatchObject({
      valid: true,
      done: false,
      observation: { metrics: { search_success: true } },
    });
    expect(obsOf(first).image).toEqual([expect.stringMatching(/^data:image\/png;base64,/)]);
    const second = await runtime.handle({
      trajectoryId: "img-a",
      action: tool("image_search", { x: 1 }),
      extra,
    });
    expect(second).toEqual({
      observation: {
        obs: imageSearchDuplicateText(1),
        image: [],
        metrics: { deduplicated: true },
        timeout: false,
      },
      done: false,
      valid: true,
      tool: "image_search",
    });
    expect(obsOf(second).obs).toContain("<answer></answer>");
    const other = await runtime.handle({ trajectoryId: "img-b", action: tool("image_search", {}), extra });
    expect(obsOf(other).metrics).toEqual({ search_success: true });
  });

  it("closes a trajectory on finish: the process goes, later calls start fresh", async () => {
    await runtime.handle({ trajectoryId: "fin", action: python("kept = 1") });
    const live = runtime.stats().liveSessions;
    const finish = await runtime.handle({
      trajectoryId: "fin",
      action: "",
      extra: { finish: true, is_last_step: true },
    });
    expect(finish).toEqual({ observation: "", done: true, valid: true, tool: "finish" });
    expect(runtime.stats().liveSessions).toBe(live - 1);
    const after = await runtime.handle({ trajectoryId: "fin", action: python("print(kept)") });
    expect(obsOf(after).obs).toContain("NameError");
    expect(obsOf(after).obs.startsWith(TERMINATED_SESSION_NOTICE)).toBe(false);
  });

  it("reports per-tool counters", () => {
    const stats = runtime.stats();
    expect(stats.requests).toBe(stats.completed);
    expect(stats.queued).toBe(0);
    expect(stats.running).toBe(0);
    expect(stats.tools.python?.calls).toBeGreaterThan(10);
    expect(stats.tools.search?.calls).toBe(3);
    expect(stats.tools.image_search?.calls).toBe(3);
    expect(stats.tools.finish?.calls).toBe(1);
    expect(stats.errors).toBe(1);
    expect(stats.latencyMsSum).toBeGreaterThan(0);
  });
});

describe("ToolRuntime session bounds", () => {
  it("evicts the least recently used session beyond maxSessions and replays its python calls", async () => {
    const runtime = await createToolRuntime({
      python: { prewarm: 0, sessionRoot },
      maxSessions: 2,
      workers: 2,
    });
    try {
      const ids = ["lru-0", "lru-1", "lru-2", "lru-3"];
      for (const id of ids) {
        await runtime.handle({ trajectoryId: id, action: python(`name = '${id}'\nprint('set', name)`) });
        await runtime.handle({ trajectoryId: id, action: python("name = name.upper()") });
        // A failing call is replayed too: it may have changed state before it failed.
        await runtime.handle({
          trajectoryId: id,
          action: python("name = name + '!'\nraise ValueError('after')"),
        });
        await runtime.handle({ trajectoryId: id, action: tool("search", { query: "not replayed" }) });
        expect(runtime.stats().liveSessions).toBeLessThanOrEqual(2);
      }
      for (const id of ids) {
        const reply = await runtime.handle({ trajectoryId: id, action: python("print(name)") });
        // The replay's own output ("set …") is discarded.
        expect(stdoutOf(reply)).toBe(`${id.toUpperCase()}!`);
        expect(runtime.stats().liveSessions).toBeLessThanOrEqual(2);
      }
      const stats = runtime.stats();
      // First pass: lru-2 and lru-3 evict lru-0 and lru-1; second pass: each one evicts the least recent.
      expect(stats.evictions).toBe(6);
      expect(stats.replays).toBe(4);
      // Only python calls are replayed: 3 per restored trajectory, search calls never.
      expect(stats.replayedCalls).toBe(12);
      expect(stats.tools.search?.calls).toBe(4);
    } finally {
      await runtime.shutdown();
    }
  });

  it("never evicts a session while it runs, even when it is the least recently used", async () => {
    const runtime = await createToolRuntime({
      python: { prewarm: 0, sessionRoot },
      maxSessions: 2,
      workers: 2,
    });
    try {
      await runtime.handle({ trajectoryId: "run-a", action: python("v = 'a'") });
      await runtime.handle({ trajectoryId: "run-c", action: python("v = 'c'") });
      // a runs long; c is used after it started, so a becomes the least recently used while still running.
      const slow = runtime.handle({
        trajectoryId: "run-a",
        action: python("import time\ntime.sleep(1.5)\nprint(v)"),
      });
      expect(stdoutOf(await runtime.handle({ trajectoryId: "run-c", action: python("print(v)") }))).toBe("c");
      // b needs a session: the idle c must go, not the running a.
      await runtime.handle({ trajectoryId: "run-b", action: python("v = 'b'") });
      const reply = await slow;
      expect(obsOf(reply).obs.startsWith("Code execution result:")).toBe(true);
      expect(stdoutOf(reply)).toBe("a");
      expect(runtime.stats()).toMatchObject({ terminations: 0, evictions: 1, liveSessions: 2 });
    } finally {
      await runtime.shutdown();
    }
  });

  it("expires idle trajectories", async () => {
    const runtime = await createToolRuntime({
      python: { prewarm: 0, sessionRoot },
      idleTimeoutMs: 300,
      workers: 1,
    });
    try {
      await runtime.handle({ trajectoryId: "idle", action: python("x = 41") });
      expect(runtime.stats().liveSessions).toBe(1);
      await vi.waitFor(
        () => expect(runtime.stats()).toMatchObject({ liveSessions: 0, trajectories: 0, expired: 1 }),
        {
          timeout: 20_000,
          interval: 50,
        },
      );
      const after = await runtime.handle({ trajectoryId: "idle", action: python("print(x)") });
      expect(obsOf(after).obs).toContain("NameError");
      expect(obsOf(after).obs.startsWith(TERMINATED_SESSION_NOTICE)).toBe(false);
    } finally {
      await runtime.shutdown();
    }
  });

  it("after a timeout the next call runs in a clean session and says so", async () => {
    const runtime = await createToolRuntime({
      python: { prewarm: 0, sessionRoot, limits: { timeoutMs: 1500 } },
      workers: 1,
    });
    try {
      await runtime.handle({ trajectoryId: "slow", action: python("before = 1") });
      const timedOut = await runtime.handle({
        trajectoryId: "slow",
        action: python("while True:\n    pass"),
      });
      expect(obsOf(timedOut).obs).toMatch(/timed out/);
      expect(obsOf(timedOut)).toMatchObject({ timeout: true, metrics: { code_success: false } });
      expect(runtime.stats()).toMatchObject({ timeouts: 1, terminations: 1, liveSessions: 0 });
      const next = await runtime.handle({ trajectoryId: "slow", action: python("print(before)") });
      expect(obsOf(next).obs.startsWith(`${TERMINATED_SESSION_NOTICE}\nCode execution result:`)).toBe(true);
      expect(obsOf(next).obs).toContain("NameError");
      const third = await runtime.handle({ trajectoryId: "slow", action: python("print('fine')") });
      expect(obsOf(third).obs.startsWith("Code execution result:")).toBe(true);
      expect(runtime.stats().replays).toBe(0);
      const finish = await runtime.handle({ trajectoryId: "slow", action: "", extra: { finish: true } });
      expect(finish).toMatchObject({ observation: "", done: true, valid: true });
      expect(runtime.stats()).toMatchObject({ liveSessions: 0, trajectories: 0 });
    } finally {
      await runtime.shutdown();
    }
  });

  it("shutdown kills every child process", async () => {
    const runtime = await createToolRuntime({ python: { prewarm: 1, sessionRoot }, workers: 2 });
    await Promise.all(
      ["s-0", "s-1", "s-2"].map((id) =>
        runtime.handle({ trajectoryId: id, action: python("import time\nx = 1") }),
      ),
    );
    expect(runtime.stats().liveSessions).toBe(3);
    expect(liveDescendants().length).toBeGreaterThanOrEqual(3);
    await runtime.shutdown();
    await vi.waitFor(() => expect(liveDescendants()).toEqual([]), { timeout: 20_000, interval: 50 });
    await expect(runtime.handle({ trajectoryId: "s-0", action: python("1") })).rejects.toThrow(/shut down/);
  });
});

describe("ToolRuntime without Python", () => {
  it("rejects requests beyond maxQueue with ToolOverloadedError", async () => {
    const runtime = await createToolRuntime({ python: false, maxQueue: 2 });
    try {
      const admitted = [
        runtime.handle({ trajectoryId: "q", action: tool("image_search", {}) }),
        runtime.handle({ trajectoryId: "q", action: tool("image_search", {}) }),
      ];
      await expect(
        runtime.handle({ trajectoryId: "r", action: tool("image_search", {}) }),
      ).rejects.toBeInstanceOf(ToolOverloadedError);
      const [first, second] = await Promise.all(admitted);
      expect(obsOf(first!).obs).toBe("No result found for image search.");
      expect(obsOf(second!).metrics).toEqual({ deduplicated: true });
      expect(runtime.stats()).toMatchObject({ rejected: 1, requests: 2, completed: 2 });
      // Room again once answered.
      await expect(
        runtime.handle({ trajectoryId: "r", action: tool("image_search", {}) }),
      ).resolves.toMatchObject({ valid: true });
    } finally {
      await runtime.shutdown();
    }
  });

  it("says when a tool is not configured", async () => {
    const runtime = await createToolRuntime({ python: false });
    try {
      expect(
        await runtime.handle({ trajectoryId: "n", action: tool("search", { query: "q" }) }),
      ).toMatchObject({
        observation: { obs: SEARCH_NOT_CONFIGURED_TEXT, metrics: { search_success: false } },
        valid: false,
        done: false,
      });
      expect(await runtime.handle({ trajectoryId: "n", action: python("1") })).toMatchObject({
        observation: { obs: "Error: The python tool is not configured on this server." },
        valid: false,
      });
      expect(runtime.sandbox).toBeUndefined();
      expect(runtime.registry.get("text_search")?.name).toBe("search");
    } finally {
      await runtime.shutdown();
    }
  });

  it("turns a tool that throws into the reference's exception reply, and serves calls given by name", async () => {
    const registry = createBuiltinRegistry().register(
      defineTool({
        name: "flaky",
        description: "Always fails.",
        inputSchema: z.object({ n: z.number() }),
        async execute({ n }) {
          throw new Error(`flaky failed on ${n}`);
        },
      }),
    );
    const runtime = await createToolRuntime({ python: false, registry });
    try {
      expect(await runtime.handle({ trajectoryId: "f", action: tool("flaky", { n: 3 }) })).toEqual({
        observation: { obs: "", error: "Tool processing failed: flaky failed on 3", tool_type: "metis" },
        done: true,
        valid: false,
        tool: "flaky",
      });
      expect(await runtime.call({ trajectoryId: "f", name: "flaky", arguments: '{"n": 4}' })).toMatchObject({
        observation: { error: "Tool processing failed: flaky failed on 4" },
      });
      expect(await runtime.call({ trajectoryId: "f", name: "nope", arguments: {} })).toMatchObject({
        observation: { obs: "Error: No handler found for tool 'nope'." },
        valid: false,
      });
      expect(runtime.stats().tools.flaky).toMatchObject({ calls: 2, errors: 2, invalid: 2 });
    } finally {
      await runtime.shutdown();
    }
  });
});
