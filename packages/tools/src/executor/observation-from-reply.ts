import type { Observation } from "@hdpo/core";
import type { ToolReply } from "../registry/tool-reply";

type MetricValue = number | boolean | string;

/**
 * The `Observation` of a reply, mapped exactly as `@hdpo/agent-loop`'s `RemoteToolExecutor` maps a verl-tool reply
 * (`parseObservationReply`), so in-process and remote tools give identical trajectories. One addition: `toolName`
 * is the tool that answered when the reply does not carry a `tool_type` (the remote mapping leaves it unset there).
 */
export function observationFromReply(reply: ToolReply): Observation {
  const { done, valid } = reply;
  const raw = reply.observation;
  let observation: Observation;
  if (typeof raw === "string") {
    observation = { text: raw, valid, done };
  } else {
    observation = { text: raw.obs, valid, done };
    const images = Array.isArray(raw.image)
      ? raw.image.filter((x): x is string => typeof x === "string" && x.length > 0)
      : typeof raw.image === "string" && (raw.image as string).length > 0
        ? [raw.image as string]
        : [];
    if (images.length > 0) observation.images = images;
    const metrics: Record<string, MetricValue> = {};
    if (typeof raw.metrics === "object" && raw.metrics !== null) {
      for (const [key, value] of Object.entries(raw.metrics)) {
        if (typeof value === "number" || typeof value === "boolean" || typeof value === "string")
          metrics[key] = value;
      }
    }
    if (typeof raw.timeout === "boolean") metrics.timeout = raw.timeout;
    if (Object.keys(metrics).length > 0) observation.metrics = metrics;
    if (typeof raw.tool_type === "string") observation.toolName = raw.tool_type;
    if (typeof raw.error === "string") observation.error = raw.error;
  }
  if (observation.toolName === undefined && reply.tool !== undefined) observation.toolName = reply.tool;
  return observation;
}
