import { z } from "zod";
import { pythonTypeName } from "../actions/python-values";
import { defineTool } from "./define-tool";
import { mentionsTimeout, observationReply, toolExceptionReply } from "./tool-reply";

/** The reference's answer to a search call with an empty query (metis-protocol.md §2). */
export const EMPTY_SEARCH_QUERY_TEXT = "Error: Search query is empty.";

/** The model-facing text when the server runs without a text search provider. */
export const SEARCH_NOT_CONFIGURED_TEXT = "Error: The search tool is not configured on this server.";

/** Seconds in `extra_fields.timeout` (the reference's per-request search timeout) as milliseconds. */
function requestTimeoutMs(extra: Record<string, unknown>): number | undefined {
  const seconds = extra.timeout;
  return typeof seconds === "number" && Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : undefined;
}

/** `search {query}` (alias `text_search`): web search through the configured provider. */
export const searchTool = defineTool({
  name: "search",
  aliases: ["text_search"],
  description:
    "Search the web and return the top results, each with its title, link and a snippet. Use it for facts you " +
    "do not know or cannot derive.",
  inputSchema: z.object({ query: z.string().describe("The search query.") }),
  readArguments(raw) {
    let query = raw.query ?? "";
    // The reference accepts a list of queries and searches the first.
    if (Array.isArray(query)) query = query.length > 0 ? query[0] : "";
    if (typeof query !== "string") {
      return {
        ok: false,
        reply: toolExceptionReply(`'${pythonTypeName(query)}' object has no attribute 'strip'`, "search"),
      };
    }
    if (query.trim() === "") {
      return {
        ok: false,
        reply: observationReply(
          { obs: EMPTY_SEARCH_QUERY_TEXT, metrics: { search_success: false }, timeout: false },
          { valid: false, tool: "search" },
        ),
      };
    }
    return { ok: true, args: { query } };
  },
  async execute({ query }, context) {
    if (context.textSearch === undefined) {
      return observationReply(
        { obs: SEARCH_NOT_CONFIGURED_TEXT, metrics: { search_success: false }, timeout: false },
        { valid: false, tool: "search" },
      );
    }
    const timeoutMs = requestTimeoutMs(context.extra);
    const result = await context.textSearch.search(query, timeoutMs === undefined ? {} : { timeoutMs });
    return observationReply(
      {
        obs: result.text,
        metrics: { search_success: result.success },
        timeout: mentionsTimeout(result.text),
      },
      { tool: "search" },
    );
  },
});
