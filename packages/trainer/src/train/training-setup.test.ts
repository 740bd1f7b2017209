import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Suite } from "@hdpo/tasks";
import { createToolServer } from "@hdpo/tool-server";
import { createTextSearch, createToolRuntime, SEARCH_NOT_CONFIGURED_TEXT } from "@hdpo/tools";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseRunConfig } from "./run-config";
import { TINY_CONFIG } from "./tiny-config";
import { generateRunSuite, prepareTraining, type TrainingSetup } from "./training-setup";

describe("prepareTraining without the search family", () => {
  let root: string;
  let setup: TrainingSetup;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "hdpo-setup-test-"));
    const config = parseRunConfig({
      ...TINY_CONFIG,
      suite: { ...TINY_CONFIG.suite, families: ["direct", "python"] },
    });
    setup = await prepareTraining(config, join(root, "data"));
  }, 60_000);
  afterAll(async () => {
    await setup?.close();
    await rm(root, { recursive: true, force: true });
  });

  it("starts with no corpus, and a search call is told that search is not configured", async () => {
    expect(setup.suite.corpus).toEqual([]);
    expect(new Set(setup.trainTasks.map((task) => task.toolNecessity))).toEqual(
      new Set(["unnecessary", "required"]),
    );
    const search = await setup.tools.execute(
      "search-call",
      '<tool_call>{"name": "search", "arguments": {"query": "Quybrath"}}</tool_call>',
    );
    expect(search.text).toBe(SEARCH_NOT_CONFIGURED_TEXT);
    const python = await setup.tools.execute(
      "python-call",
      '<tool_call>{"name": "python", "arguments": {"code": "print(6 * 7)"}}</tool_call>',
    );
    expect(python.text).toContain("42");
  });

  it("writes the cold-start demonstrations of both families with Python calls only", () => {
    expect(setup.demos.length).toBe(setup.trainTasks.length);
    const required = setup.demos.filter((demo) => demo.task.toolNecessity === "required");
    expect(required.length).toBeGreaterThan(0);
    for (const { trajectory } of required) expect(trajectory.toolCallsByName).toEqual({ python: 1 });
    expect(setup.demos.every((demo) => demo.trajectory.toolCallsByName.search === undefined)).toBe(true);
  });
});

/** A real `hdpo-tool-server` on 127.0.0.1 with in-process Python and, given a corpus, a local search over it. */
async function startToolServer(
  root: string,
  corpus: Suite["corpus"] | undefined,
  searchResults: number,
): Promise<{ url: string; close(): Promise<void> }> {
  const sessionRoot = await mkdtemp(join(root, "server-sessions-"));
  const runtime = await createToolRuntime({
    python: { sessionRoot },
    ...(corpus === undefined
      ? {}
      : {
          textSearch: await createTextSearch({
            provider: "local",
            corpus,
            cache: false,
            maxResults: searchResults,
          }),
        }),
    workers: 2,
  });
  const server = createToolServer({ runtime, workers: 2, mcp: false });
  const { url } = await server.listen(0, "127.0.0.1");
  return { url, close: () => server.close({ graceMs: 1000 }) };
}

/** What a demonstration says, turn by turn (timings and ids aside). */
function demoTexts(setup: TrainingSetup): string[][] {
  return setup.demos.map((demo) => demo.trajectory.turns.map((turn) => `${turn.role}: ${turn.text}`));
}

describe("prepareTraining with a tool server (tools.server)", () => {
  let root: string;
  const config = parseRunConfig(TINY_CONFIG);
  const suite = generateRunSuite(config);
  let server: { url: string; close(): Promise<void> };

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "hdpo-setup-remote-"));
    server = await startToolServer(root, suite.corpus, config.suite.searchResults);
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await rm(root, { recursive: true, force: true });
  });

  it("writes the same cold-start demonstrations through the server as with in-process tools", async () => {
    const remote = await prepareTraining(
      parseRunConfig({ ...TINY_CONFIG, tools: { server: server.url } }),
      join(root, "remote"),
    );
    const local = await prepareTraining(config, join(root, "local"));
    try {
      expect(remote.suite).toEqual(local.suite);
      const texts = demoTexts(remote);
      expect(texts).toEqual(demoTexts(local));
      // Real observations came back: a Python printout and a search result from the suite's corpus.
      expect(texts.flat().some((t) => t.startsWith("observation: Code execution result:"))).toBe(true);
      // Observations are cut to the run's token budget, so a search result shows a piece of a corpus document.
      const searches = texts
        .flat()
        .filter((t) => t.startsWith("observation: ") && !t.includes("Code execution"));
      const pieces = searches.map((t) => t.replace(/\n\.\.\.\(truncated\)$/, "").slice(-30));
      expect(pieces.length).toBeGreaterThan(0);
      for (const piece of pieces) expect(suite.corpus.some((doc) => doc.text.includes(piece))).toBe(true);
    } finally {
      await remote.close();
      await local.close();
    }
  }, 120_000);

  it("refuses a server that does not serve the suite's corpus, saying how to start one that does", async () => {
    const bare = await startToolServer(root, undefined, 1);
    try {
      await expect(
        prepareTraining(parseRunConfig({ ...TINY_CONFIG, tools: { server: bare.url } }), join(root, "bare")),
      ).rejects.toThrow(
        /tools\.server http:\/\/127\.0\.0\.1:\d+ does not serve this run's search corpus: .*--search-corpus DIR\/data\/corpus\.jsonl/,
      );
    } finally {
      await bare.close();
    }
  }, 60_000);

  it("refuses a server that is not there before any work", async () => {
    const gone = await startToolServer(root, suite.corpus, 1);
    await gone.close();
    const config = parseRunConfig({ ...TINY_CONFIG, tools: { server: gone.url, timeoutS: 5 } });
    await expect(prepareTraining(config, join(root, "gone"))).rejects.toThrow(
      /^tools\.server http:\/\/127\.0\.0\.1:\d+ does not answer: the tool server at .* could not be reached .* Start a tool server there/,
    );
  }, 60_000);
});
