import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import type { ToolReplyLike, ToolRuntimePort } from "../runtime-port";

/** The name and version the MCP server announces. */
export const MCP_SERVER_INFO = { name: "hdpo-tool-server", version: "0.0.0" } as const;

const imagesSchema = z
  .array(z.string())
  .optional()
  .describe(
    "Task images as data URIs (data:image/jpeg;base64,...). They are decoded into image_1..image_n when this " +
      "session's Python starts (its first python call); later values are ignored.",
  );

/**
 * An MCP server exposing `python`, `search` and `image_search` for ONE trajectory of the tool runtime: every call
 * goes through `runtime.handle` with the reference's `<tool_call>` text, so MCP clients get the same sandbox,
 * observation text, dedup and limits as verl-tool clients. Python state persists across the calls of the session.
 */
export function createMcpToolServer(runtime: ToolRuntimePort, trajectoryId: string): McpServer {
  const server = new McpServer(MCP_SERVER_INFO, {
    instructions:
      "Sandboxed tools of an hdpo agent. `python` keeps its variables between calls of this session; " +
      "print() what you want to see; images shown with display(...) or as the last expression come back as images.",
  });
  const call = async (name: string, args: Record<string, unknown>, extra: Record<string, unknown>) => {
    const action = `<tool_call>${JSON.stringify({ name, arguments: args })}</tool_call>`;
    const reply = await runtime.handle({ trajectoryId, action, extra });
    return replyToToolResult(reply);
  };
  server.registerTool(
    "python",
    {
      title: "Python",
      description:
        "Runs Python code in a persistent, sandboxed session (no network, no files outside the session directory). " +
        "Pre-loaded: os, base64, math, numpy as np, PIL.Image as Image, io.BytesIO, matplotlib.pyplot as plt, " +
        "sin/cos, and image_1..image_n. Returns stdout, stderr and any displayed images.",
      inputSchema: { code: z.string().describe("Python source to run"), images: imagesSchema },
    },
    async ({ code, images }) => call("python", { code }, images === undefined ? {} : { images }),
  );
  server.registerTool(
    "search",
    {
      title: "Web search",
      description: "Searches the web (or the configured local corpus) and returns the top results as text.",
      inputSchema: { query: z.string().describe("What to search for") },
    },
    async ({ query }) => call("search", { query }, {}),
  );
  server.registerTool(
    "image_search",
    {
      title: "Image search",
      description:
        "Looks up results for the task image: by the task's index in the configured maps, or by similarity in the " +
        "configured local image collection. Only the first call of a session runs.",
      inputSchema: {
        index: z.string().optional().describe("The task's index (extra_info.index) for map lookups"),
        images: imagesSchema,
      },
    },
    async ({ index, images }) => {
      const extra: Record<string, unknown> = {};
      if (index !== undefined) extra.index = index;
      if (images !== undefined) extra.images = images;
      return call("image_search", {}, extra);
    },
  );
  return server;
}

/**
 * A runtime reply as an MCP tool result: the observation text, then each image as MCP image content (base64 and
 * its MIME type). `isError` marks invalid actions; done/valid/metrics travel in `_meta` for clients that care.
 */
export function replyToToolResult(reply: ToolReplyLike): CallToolResult {
  const observation = reply.observation;
  const text = typeof observation === "string" ? observation : observation.obs;
  const images = typeof observation === "string" ? [] : (observation.image ?? []);
  const content: CallToolResult["content"] = [{ type: "text", text }];
  for (const uri of images) {
    const image = parseDataUri(uri);
    if (image !== undefined) content.push({ type: "image", data: image.data, mimeType: image.mimeType });
  }
  const meta: Record<string, unknown> = { "hdpo/done": reply.done, "hdpo/valid": reply.valid };
  if (typeof observation !== "string" && observation.metrics !== undefined) {
    meta["hdpo/metrics"] = observation.metrics;
  }
  return { content, isError: !reply.valid, _meta: meta };
}

function parseDataUri(uri: string): { mimeType: string; data: string } | undefined {
  const match = /^data:([^;,]+);base64,(.*)$/s.exec(uri);
  if (match === null) return undefined;
  return { mimeType: match[1]!, data: match[2]! };
}
