import { ToolsError } from "../tools-error";
import { checkPng, InvalidImageError } from "./png-check";

/*
 * The driver shares its process with the model's code, which can write anything to the reply pipe: no secret
 * can authenticate a reply inside one address space. So every reply is read as hostile bytes: each field's
 * type and size is checked here, and images must be PNG data URIs of sizes the reference's rules produce.
 */

/** A driver reply to a "run" request, after validation (only these fields, with these types). */
export interface DriverRunReply {
  success: boolean;
  stdout: string;
  stderr: string;
  stdoutDropped: number;
  stderrDropped: number;
  images: string[];
  markers: boolean;
}

/** A reply did not come from the driver as written (wrong id, wrong type, too big): the channel was tampered with. */
export class DriverReplyError extends ToolsError {
  override readonly name: string = "DriverReplyError";
}

export const PNG_DATA_URI_PREFIX = "data:image/png;base64,";

/**
 * Image caps per call, enforced by the driver (it drops extras with a note on stderr) and re-checked here.
 * One image at the largest size the rules allow (5120·32² pixels, RGBA, incompressible) is about 21 MB of PNG,
 * 28 MB of base64; a plot is tens of KB.
 */
export const IMAGE_LIMITS = Object.freeze({
  maxImages: 64,
  maxImageChars: 32 * 1024 * 1024,
  maxTotalChars: 48 * 1024 * 1024,
});

/** What the driver may add to a captured stream beyond the cap (its note about dropped images). */
const STREAM_SLACK_CHARS = 1024;

/**
 * The longest reply line a run may produce: two streams of `outputCap` UTF-16 units that JSON with ensure_ascii
 * writes as up to 6 bytes each, the images, and the fixed fields. A longer line kills the process unread.
 */
export function replyByteLimit(outputCap: number): number {
  return (
    2 * 6 * (outputCap + STREAM_SLACK_CHARS) +
    IMAGE_LIMITS.maxTotalChars +
    IMAGE_LIMITS.maxImages * 8 +
    64 * 1024
  );
}

function bad(field: string, what: string): never {
  throw new DriverReplyError(`the reply has ${what} in "${field}"`);
}

function text(value: Record<string, unknown>, field: string, maxChars: number): string {
  const raw = value[field];
  if (typeof raw !== "string") bad(field, `a ${raw === null ? "null" : typeof raw} instead of a string`);
  if (raw.length > maxChars)
    bad(field, `${raw.length} characters (at most ${maxChars} can come from the driver)`);
  return raw;
}

function count(value: Record<string, unknown>, field: string): number {
  const raw = value[field];
  if (typeof raw !== "number" || !Number.isSafeInteger(raw) || raw < 0) bad(field, "no non-negative integer");
  return raw;
}

function flag(value: Record<string, unknown>, field: string): boolean {
  const raw = value[field];
  if (typeof raw !== "boolean") bad(field, "no boolean");
  return raw;
}

/**
 * Checks every field of a run reply's type and size and returns a fresh object with exactly those fields (nothing
 * else the line carried goes further). Image contents are checked by `checkReplyImages`.
 */
export function parseRunReply(value: Record<string, unknown>, outputCap: number): DriverRunReply {
  const maxChars = outputCap + STREAM_SLACK_CHARS;
  const images = value.images;
  if (!Array.isArray(images)) bad("images", "no array");
  if (images.length > IMAGE_LIMITS.maxImages)
    bad("images", `${images.length} entries (at most ${IMAGE_LIMITS.maxImages})`);
  for (const image of images) if (typeof image !== "string") bad("images", `a ${typeof image} entry`);
  return {
    success: flag(value, "success"),
    stdout: text(value, "stdout", maxChars),
    stderr: text(value, "stderr", maxChars),
    stdoutDropped: count(value, "stdoutDropped"),
    stderrDropped: count(value, "stderrDropped"),
    images: [...(images as string[])],
    markers: flag(value, "markers"),
  };
}

/** Strict standard base64 with padding (what Python's b64encode writes); Buffer.from would skip junk silently. */
function isStrictBase64(text: string, from: number): boolean {
  const length = text.length - from;
  if (length === 0 || length % 4 !== 0) return false;
  for (let at = from; at < text.length; at++) {
    const code = text.charCodeAt(at);
    const ok =
      (code >= 0x41 && code <= 0x5a) ||
      (code >= 0x61 && code <= 0x7a) ||
      (code >= 0x30 && code <= 0x39) ||
      code === 0x2b ||
      code === 0x2f ||
      (code === 0x3d &&
        (at === text.length - 1 || (at === text.length - 2 && text.charCodeAt(at + 1) === 0x3d)));
    if (!ok) return false;
  }
  return true;
}

/** Why one image is not acceptable, or undefined when it is. */
async function imageProblem(image: string): Promise<string | undefined> {
  if (!image.startsWith(PNG_DATA_URI_PREFIX)) return "it is not a PNG data URI";
  if (image.length > IMAGE_LIMITS.maxImageChars) return `it is over ${IMAGE_LIMITS.maxImageChars} characters`;
  if (!isStrictBase64(image, PNG_DATA_URI_PREFIX.length)) return "its base64 is malformed";
  try {
    await checkPng(Buffer.from(image.slice(PNG_DATA_URI_PREFIX.length), "base64"));
    return undefined;
  } catch (error) {
    if (error instanceof InvalidImageError) return error.reason;
    throw error;
  }
}

/**
 * The images a reply may pass on: all of them when every one is a valid PNG data URI within the caps, else none,
 * with a one-line note saying why (the driver only ever sends valid images, so one bad image means the reply
 * was forged, and nothing else it claims to have drawn is trusted either).
 */
export async function checkReplyImages(images: string[]): Promise<{ images: string[]; note?: string }> {
  let total = 0;
  for (const [index, image] of images.entries()) {
    total += image.length;
    const problem =
      total > IMAGE_LIMITS.maxTotalChars
        ? `the call's images are over ${IMAGE_LIMITS.maxTotalChars} characters together`
        : await imageProblem(image);
    if (problem !== undefined) {
      return {
        images: [],
        note: `[images dropped: image ${index + 1} of ${images.length} is not a valid observation image (${problem})]`,
      };
    }
  }
  return { images };
}
