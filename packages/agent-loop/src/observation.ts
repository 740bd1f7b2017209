import type { ContentPart, Message, Observation } from "@hdpo/core";
import {
  ACCEPTED_OBSERVATION_IMAGES,
  refusedImagesNote,
  screenObservationImages,
  validateObservationImage,
} from "./observation-image";
import { AgentLoopError } from "./rollout-error";

/** Suffix the reference appends to a truncated observation. */
export const TRUNCATION_MARKER = "...(truncated)";

/** Characters per token of the default counter: a rough figure for BPE tokenizers on English and code. */
export const APPROX_CHARS_PER_TOKEN = 4;

/** Which end of an over-long text to keep. */
export type KeepSide = "first" | "last";

/** Counts tokens of a text; give the policy's tokenizer for exact budgets. */
export type CountTokens = (text: string) => number;

/** Cuts `text` to at most `maxTokens` tokens, keeping the given end. */
export type TruncateTokens = (text: string, maxTokens: number, keep: KeepSide) => string;

/**
 * The default token counter: ceil(characters / 4). An APPROXIMATION, not a tokenizer; budgets and truncation
 * match the reference only when a real `countTokens` is given.
 */
export function approximateTokenCount(text: string): number {
  return Math.ceil(text.length / APPROX_CHARS_PER_TOKEN);
}

/**
 * A `TruncateTokens` built from any monotone `countTokens`: binary search for the longest prefix or suffix whose
 * count fits (O(log n) counts), so a caller with only a counter still gets exact-by-that-counter truncation.
 */
export function truncateByCounting(countTokens: CountTokens): TruncateTokens {
  return (text, maxTokens, keep) => {
    if (maxTokens <= 0) return "";
    if (countTokens(text) <= maxTokens) return text;
    const piece = (length: number): string =>
      keep === "first" ? text.slice(0, length) : text.slice(text.length - length);
    let low = 0; // fits
    let high = text.length; // does not fit
    while (high - low > 1) {
      const mid = (low + high) >>> 1;
      if (countTokens(piece(mid)) <= maxTokens) low = mid;
      else high = mid;
    }
    return piece(low);
  };
}

/** An observation after the `maxObservationTokens` cut, with its token count as the budget sees it. */
export interface TruncatedObservation {
  text: string;
  images: string[];
  truncated: boolean;
}

/**
 * Applies the reference's observation cut (metis-protocol.md §5) when the text is longer than `maxTokens`:
 * text-only keeps the LAST tokens, with images keeps the FIRST tokens; "...(truncated)" is appended either way.
 * The reference renders images after the text, so cutting the text cuts every image: we drop them all. Image
 * tokens are not counted here (their cost depends on the vision processor), a documented simplification.
 *
 * Every image first goes through {@link screenObservationImages}: an image a tool returned that is not a PNG/JPEG
 * data URI within the size cap is dropped, and a note saying why is appended to the text before the cut (the
 * reference skips undecodable images). Dropping rather than failing keeps a rollout going, as the reference does,
 * whatever the model's code printed; nothing downstream (trajectory, encoder, policy) ever sees a path or URL from a
 * tool. The kept side follows whether the tool returned any image, so screening leaves the cut as it was.
 */
export function truncateObservation(
  text: string,
  images: readonly unknown[],
  maxTokens: number,
  countTokens: CountTokens,
  truncateTokens: TruncateTokens,
): TruncatedObservation {
  if (!Number.isInteger(maxTokens) || maxTokens <= 0) {
    throw new AgentLoopError(`maxObservationTokens must be a positive integer, got ${String(maxTokens)}.`);
  }
  const screened = screenObservationImages(images);
  const noted = text + refusedImagesNote(screened.refused);
  if (countTokens(noted) <= maxTokens) return { text: noted, images: screened.images, truncated: false };
  const keep: KeepSide = Array.isArray(images) && images.length > 0 ? "first" : "last";
  return { text: truncateTokens(noted, maxTokens, keep) + TRUNCATION_MARKER, images: [], truncated: true };
}

/**
 * The chat message that carries an observation back to the model: a `user` turn for the text protocol (as the
 * reference renders it), or a `tool` message answering a native tool call when `toolCallId` is given. A `user` turn
 * looks like the task's own prompt to a policy, which may read a task image from disk, so every image must pass
 * {@link validateObservationImage} here; pass the images of {@link truncateObservation}, which screens them.
 * @throws AgentLoopError for an image that does not pass
 */
export function observationMessage(
  text: string,
  images: readonly string[],
  native?: { toolCallId: string; name: string },
): Message {
  images.forEach((image, index) => {
    const check = validateObservationImage(image);
    if (!check.ok) {
      throw new AgentLoopError(
        `observation image ${index + 1} is refused: ${check.reason}. Only ${ACCEPTED_OBSERVATION_IMAGES} are sent; screen a tool's images with truncateObservation first.`,
      );
    }
  });
  const content: string | ContentPart[] =
    images.length === 0
      ? text
      : [{ type: "text", text }, ...images.map((image): ContentPart => ({ type: "image", image }))];
  if (native === undefined) return { role: "user", content };
  return { role: "tool", content, toolCallId: native.toolCallId, name: native.name };
}

/** An observation for a tool request that failed outright (the executor threw, which its contract forbids). */
export function failedObservation(cause: string): Observation {
  return { text: `Tool call error: ${cause}`, valid: false, done: true, error: cause };
}
