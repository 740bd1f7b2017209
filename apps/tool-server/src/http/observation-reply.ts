import { describeError } from "@hdpo/http";
import { REFERENCE_TOOL_TYPE } from "@hdpo/tools";
import type { ToolReplyLike } from "../runtime-port";

/** Largest `/get_observation` reply by default: far above honest batches (observations are capped by the runtime). */
export const DEFAULT_MAX_REPLY_BYTES = 64 * 1024 * 1024;

/** One entry's outcome as the runtime settled it. */
export type EntryOutcome = PromiseSettledResult<ToolReplyLike>;

/** A `/get_observation` reply serialized, and how many of its entries carry an error observation instead. */
export interface ObservationReplyText {
  text: string;
  failedEntries: number;
}

/**
 * Serializes the reply of a batch with each entry isolated from the others: an entry whose tool call rejected,
 * whose observation will not serialize, or that does not fit in `maxReplyBytes` becomes that entry's own error
 * observation in the reference's shape for a tool that raised (`{obs:"", error:"Tool processing failed: …",
 * tool_type}`, done=true, valid=false, metis-protocol.md §1), and every other entry keeps its answer. A batch must
 * not fail as a whole after some entries' code ran: a client retry would run that code twice. When the total is
 * over the cap, the largest observations give way first, so one huge entry cannot cost the small ones theirs.
 */
export function observationReplyText(
  outcomes: readonly EntryOutcome[],
  timing: { processingMs: number; queueMs: number },
  maxReplyBytes: number,
  describeRejection: (reason: unknown) => string = describeError,
): ObservationReplyText {
  const count = outcomes.length;
  const observations: string[] = new Array(count);
  const sizes: number[] = new Array(count);
  const dones: boolean[] = new Array(count);
  const valids: boolean[] = new Array(count);
  const failed: boolean[] = new Array(count).fill(false);
  let failedEntries = 0;
  const fail = (index: number, message: string) => {
    observations[index] = errorObservationText(message);
    sizes[index] = Buffer.byteLength(observations[index]!);
    dones[index] = true;
    valids[index] = false;
    failed[index] = true;
    failedEntries++;
  };
  let total = 0;
  for (let index = 0; index < count; index++) {
    const outcome = outcomes[index]!;
    if (outcome.status === "rejected") {
      fail(index, describeRejection(outcome.reason));
    } else {
      const serialized = serialize(outcome.value.observation);
      const size = typeof serialized === "string" ? Buffer.byteLength(serialized) : 0;
      if (typeof serialized !== "string") {
        fail(index, serialized.problem);
      } else if (size > maxReplyBytes) {
        fail(index, tooLargeMessage(size, maxReplyBytes));
      } else {
        observations[index] = serialized;
        sizes[index] = size;
        dones[index] = outcome.value.done === true;
        valids[index] = outcome.value.valid === true;
      }
    }
    total += sizes[index]!;
  }
  if (total > maxReplyBytes) {
    // Largest first: the fewest entries lose their answers.
    const bySize = [...sizes.keys()].sort((a, b) => sizes[b]! - sizes[a]!);
    for (const index of bySize) {
      if (total <= maxReplyBytes) break;
      if (failed[index]) continue;
      const size = sizes[index]!;
      fail(index, tooLargeMessage(size, maxReplyBytes, true));
      total += sizes[index]! - size;
    }
  }
  const text =
    `{"observations":[${observations.join(",")}],"dones":${JSON.stringify(dones)},"valids":${JSON.stringify(valids)},` +
    `"processing_time_ms":${JSON.stringify(timing.processingMs)},"queue_time_ms":${JSON.stringify(timing.queueMs)}}`;
  return { text, failedEntries };
}

/** The observation as JSON, or why it cannot be sent. */
function serialize(observation: unknown): string | { problem: string } {
  try {
    const text = JSON.stringify(observation) as string | undefined;
    if (
      text === undefined ||
      (typeof observation !== "string" && (typeof observation !== "object" || observation === null))
    ) {
      return { problem: "the tool runtime answered without an observation" };
    }
    return text;
  } catch (error) {
    return { problem: `the observation could not be serialized (${describeError(error)})` };
  }
}

function errorObservationText(message: string): string {
  return JSON.stringify({
    obs: "",
    error: `Tool processing failed: ${message}`,
    tool_type: REFERENCE_TOOL_TYPE,
  });
}

function tooLargeMessage(size: number, cap: number, shared = false): string {
  return shared
    ? `this entry's observation (${size} bytes) did not fit in the batch's reply limit of ${cap} bytes; send fewer trajectories per request (or raise --max-reply-bytes)`
    : `the observation is ${size} bytes, over the reply limit of ${cap} bytes (--max-reply-bytes)`;
}
