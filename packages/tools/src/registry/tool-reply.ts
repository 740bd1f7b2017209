/**
 * A tool's observation object as the reference's server sends it (metis-protocol.md §2): `obs` is the text,
 * `image` data URIs, `metrics` go to the trainer's `tool_interact_info`, `timeout` is "obs mentions a timeout".
 */
export interface ObservationObject {
  obs: string;
  image?: string[];
  /** Present on every tool observation; absent only on the exception shape, as in the reference. */
  metrics?: Record<string, unknown>;
  timeout?: boolean;
  [key: string]: unknown;
}

/** One entry of a `/get_observation` reply: `observations[i]`, `dones[i]`, `valids[i]`. */
export interface ToolReply {
  /** `""` (a string) for an action without a readable tool call, else an observation object. */
  observation: string | ObservationObject;
  done: boolean;
  valid: boolean;
  /**
   * The tool that answered (canonical name, "finish" for a close), absent when no tool was identified. Not part of
   * the wire format: servers drop it; the in-process executor reports it as `Observation.toolName`.
   */
  tool?: string;
}

/** The `tool_type` the reference puts on exception replies (its single loaded tool is "metis"). */
export const REFERENCE_TOOL_TYPE = "metis";

/** `timeout` of an observation object: the reference sets it when the text mentions a timeout. */
export function mentionsTimeout(text: string): boolean {
  return /timeout/i.test(text);
}

/** A valid (done=false) reply carrying `observation`. */
export function observationReply(
  observation: ObservationObject,
  options: { valid?: boolean; tool?: string } = {},
): ToolReply {
  const reply: ToolReply = { observation, done: false, valid: options.valid ?? true };
  if (options.tool !== undefined) reply.tool = options.tool;
  return reply;
}

/**
 * What the reference answers when a tool raises: `{obs:"", error:"Tool processing failed: …", tool_type}`, done=true,
 * valid=false, so the trainer ends the trajectory.
 */
export function toolExceptionReply(message: string, tool?: string): ToolReply {
  const reply: ToolReply = {
    observation: { obs: "", error: `Tool processing failed: ${message}`, tool_type: REFERENCE_TOOL_TYPE },
    done: true,
    valid: false,
  };
  if (tool !== undefined) reply.tool = tool;
  return reply;
}

/** The message of an unknown thrown value. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
