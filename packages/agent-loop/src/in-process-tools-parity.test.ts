// The in-process tools (@hdpo/tools) under the agent loop: the same observations as over HTTP, and real rollouts.

import type { Observation } from "@hdpo/core";
import { observationFromReply, type ToolReply } from "@hdpo/tools";
import { describe, expect, it } from "vitest";
import { parseObservationReply } from "./remote-tool-executor";

const PNG = "data:image/png;base64,iVBORw0KGgo=";

const replies: { name: string; reply: ToolReply }[] = [
  { name: "unparsable action", reply: { observation: "", done: false, valid: false } },
  {
    name: "python with an image",
    reply: {
      observation: {
        obs: "Code execution result:\nstdout:\n```\nhi\n```\n\nstderr:\n```\n\n```\n\nImages:",
        image: [PNG, ""],
        metrics: { code_success: true, code_lines: 2 },
        timeout: false,
      },
      done: false,
      valid: true,
      tool: "python",
    },
  },
  {
    name: "no handler",
    reply: {
      observation: {
        obs: "Error: No handler found for tool 'bash'.",
        image: [],
        metrics: {},
        timeout: false,
      },
      done: false,
      valid: false,
    },
  },
  {
    name: "tool exception",
    reply: {
      observation: {
        obs: "",
        error: "Tool processing failed: 'list' object has no attribute 'get'",
        tool_type: "metis",
      },
      done: true,
      valid: false,
      tool: "python",
    },
  },
  {
    name: "image_search dedup",
    reply: {
      observation: { obs: "already called", image: [], metrics: { deduplicated: true }, timeout: false },
      done: false,
      valid: true,
      tool: "image_search",
    },
  },
  {
    name: "search timeout, odd metrics dropped",
    reply: {
      observation: {
        obs: "Search failed for 'q': timeout",
        metrics: { search_success: false, nested: { a: 1 }, list: [1] },
        timeout: true,
      },
      done: false,
      valid: true,
      tool: "search",
    },
  },
  {
    name: "image as a single string",
    reply: {
      observation: { obs: "x", image: PNG as unknown as string[], metrics: {} },
      done: false,
      valid: true,
    },
  },
  { name: "finish", reply: { observation: "", done: true, valid: true, tool: "finish" } },
];

function remoteMapping(reply: ToolReply): Observation {
  const mapped = parseObservationReply({
    observations: [reply.observation],
    dones: [reply.done],
    valids: [reply.valid],
  });
  if (typeof mapped === "string") throw new Error(mapped);
  return mapped;
}

describe("observationFromReply", () => {
  it.each(replies)("maps $name like the remote executor, adding the tool name", ({ reply }) => {
    const local = observationFromReply(reply);
    const remote = remoteMapping(reply);
    const { toolName: localTool, ...localRest } = local;
    const { toolName: remoteTool, ...remoteRest } = remote;
    expect(localRest).toEqual(remoteRest);
    // The remote mapping names only exceptions (`tool_type`); in-process also names the tool that answered.
    expect(localTool).toBe(remoteTool ?? reply.tool);
  });
});
