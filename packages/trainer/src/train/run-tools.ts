import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InfrastructureError, RemoteToolExecutor, ToolServerReplicas } from "@hdpo/agent-loop";
import type { ToolExecutor } from "@hdpo/core";
import type { Suite } from "@hdpo/tasks";
import { createTextSearch, createToolRuntime, InProcessToolExecutor } from "@hdpo/tools";
import { TrainerError } from "../trainer-error";
import type { RunConfig } from "./run-config";

/** The tools of a run and how to release them. */
export interface RunTools {
  tools: ToolExecutor;
  /** Stops in-process tools and removes their session folders (nothing to stop for a tool server). */
  close(): Promise<void>;
}

/**
 * The tools `config.tools` names: the tool server of `tools.server` (checked to run Python and to serve this
 * suite's corpus before any work), or in-process tools — sandboxed Python and a local search over the suite's
 * corpus.
 *
 * @throws TrainerError when the tool server does not answer as this run needs.
 */
export async function createRunTools(config: RunConfig, suite: Suite): Promise<RunTools> {
  const { server, timeoutS } = config.tools;
  if (server !== undefined) {
    const urls = typeof server === "string" ? [server] : server;
    const timeoutMs = Math.round(timeoutS * 1000);
    // Each replica is checked on its own: one that is down or serves another corpus would fail its share of rollouts.
    for (const url of urls) await checkToolServer(new RemoteToolExecutor({ url, timeoutMs }), url, suite);
    const tools =
      urls.length === 1
        ? new RemoteToolExecutor({ url: urls[0]!, timeoutMs })
        : new ToolServerReplicas({ urls, timeoutMs });
    return { tools, close: async () => {} };
  }
  const sessionRoot = await mkdtemp(join(tmpdir(), "hdpo-train-"));
  const runtime = await createToolRuntime({
    python: { prewarm: 1, sessionRoot },
    // A suite without the search family has no corpus; its search calls are then answered that search is not
    // configured, as on a tool server without a search backend.
    ...(suite.corpus.length === 0
      ? {}
      : {
          textSearch: await createTextSearch({
            provider: "local",
            corpus: suite.corpus,
            cache: false,
            maxResults: config.suite.searchResults,
          }),
        }),
    workers: 2,
    idleTimeoutMs: Number.POSITIVE_INFINITY,
  });
  return {
    tools: new InProcessToolExecutor(runtime),
    close: async () => {
      await runtime.shutdown();
      await rm(sessionRoot, { recursive: true, force: true });
    },
  };
}

function toolCallText(name: string, args: Record<string, string>): string {
  return `<tool_call>${JSON.stringify({ name, arguments: args })}</tool_call>`;
}

function excerpt(text: string): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > 160 ? `${line.slice(0, 160)}…` : line;
}

/**
 * One Python call and, for a suite with search tasks, one search for a document of its corpus, through the
 * protocol itself (a verl-tool server has no health route): a server that is down, runs no Python or serves
 * another corpus would otherwise turn every rollout into a wrong answer without a word.
 */
async function checkToolServer(tools: ToolExecutor, url: string, suite: Suite): Promise<void> {
  const trajectoryId = `hdpo-train-check-${process.pid}-${Date.now()}`;
  try {
    await probeToolServer(tools, url, suite, trajectoryId);
  } catch (error) {
    if (!(error instanceof InfrastructureError)) throw error;
    throw new TrainerError(
      `tools.server ${url} does not answer: ${error.message} ` +
        "Start a tool server there (pnpm tool-server --port PORT) or leave tools.server unset for in-process tools.",
    );
  } finally {
    await tools.close(trajectoryId);
  }
}

/** One Python call and, for a suite with search tasks, one search; throws for an answer this run cannot use. */
async function probeToolServer(
  tools: ToolExecutor,
  url: string,
  suite: Suite,
  trajectoryId: string,
): Promise<void> {
  const python = await tools.execute(trajectoryId, toolCallText("python", { code: 'print("hdpo", 6 * 7)' }));
  if (!python.text.includes("hdpo 42")) {
    throw new TrainerError(
      `tools.server ${url} did not run a Python call: it answered "${excerpt(python.text)}". ` +
        "Start a tool server there (pnpm tool-server --port PORT) or leave tools.server unset for in-process tools.",
    );
  }
  const document = suite.corpus[0];
  if (document === undefined) return;
  const search = await tools.execute(trajectoryId, toolCallText("search", { query: document.title }));
  if (!search.text.includes(document.title)) {
    throw new TrainerError(
      `tools.server ${url} does not serve this run's search corpus: a search for "${document.title}" answered ` +
        `"${excerpt(search.text)}". Write the suite first (hdpo-train suite --out DIR, same settings) and start ` +
        "the server with --search-provider local --search-corpus DIR/data/corpus.jsonl.",
    );
  }
}
