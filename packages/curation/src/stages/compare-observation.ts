import { TRUNCATION_MARKER } from "@hdpo/agent-loop";
import { imageBytes } from "../images/image-bytes";
import { readImageHeader } from "../images/image-header";

/** How close a fresh observation must be to the recorded one. */
export interface ObservationTolerance {
  /** Numbers match when |a-b| <= absolute + relative*max(|a|,|b|). Default relative 1e-6, absolute 1e-9. */
  relative?: number;
  absolute?: number;
  /** Compare image pixel sizes too (count is always compared). Default true. */
  imageSizes?: boolean;
}

export interface ObservedOutput {
  text: string;
  images?: readonly string[];
}

const NUMBER = /[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|\b(?:nan|inf)\b/gi;

/**
 * Why a recorded observation disagrees with a fresh one, or undefined when they agree after normalization:
 * whitespace runs fold to one space and line ends are trimmed, numbers compare within the tolerance (so
 * `0.30000000000000004` matches `0.3`), images compare by count and pixel size. A recorded text cut by the agent
 * loop's truncation marker matches when its kept part appears in the fresh text.
 */
export async function compareObservation(
  recorded: ObservedOutput,
  fresh: ObservedOutput,
  tolerance: ObservationTolerance = {},
): Promise<string | undefined> {
  const relative = tolerance.relative ?? 1e-6;
  const absolute = tolerance.absolute ?? 1e-9;
  const a = normalizeWhitespace(recorded.text);
  const b = normalizeWhitespace(fresh.text);
  if (a.endsWith(normalizeWhitespace(TRUNCATION_MARKER))) {
    const kept = normalizeWhitespace(a.slice(0, -normalizeWhitespace(TRUNCATION_MARKER).length));
    if (!b.includes(kept)) return "the recorded (truncated) output is not part of the fresh output";
  } else {
    const textDiff = compareTexts(a, b, relative, absolute);
    if (textDiff !== undefined) return textDiff;
  }
  const recordedImages = recorded.images ?? [];
  const freshImages = fresh.images ?? [];
  if (recordedImages.length !== freshImages.length) {
    return `recorded ${recordedImages.length} image(s), the fresh run gave ${freshImages.length}`;
  }
  if (tolerance.imageSizes ?? true) {
    for (let i = 0; i < recordedImages.length; i++) {
      const [x, y] = await Promise.all([size(recordedImages[i]!, true), size(freshImages[i]!, false)]);
      if (x !== y) return `image ${i + 1}: recorded ${x}, fresh ${y}`;
    }
  }
  return undefined;
}

function normalizeWhitespace(text: string): string {
  return text
    .replace(/\r\n?/g, "\n")
    .split("\n")
    .map((line) => line.trim().replace(/[ \t]+/g, " "))
    .join("\n")
    .replace(/\n{2,}/g, "\n")
    .trim();
}

/** Compares texts as alternating non-numeric pieces (exact) and numbers (within tolerance). */
function compareTexts(a: string, b: string, relative: number, absolute: number): string | undefined {
  if (a === b) return undefined;
  const left = tokens(a);
  const right = tokens(b);
  if (left.length !== right.length) return `outputs differ: recorded ${quote(a)} vs fresh ${quote(b)}`;
  for (let i = 0; i < left.length; i++) {
    const x = left[i]!;
    const y = right[i]!;
    if (x.number === undefined || y.number === undefined) {
      if (x.text !== y.text) return `outputs differ at ${quote(x.text)} vs ${quote(y.text)}`;
      continue;
    }
    const same =
      (Number.isNaN(x.number) && Number.isNaN(y.number)) ||
      x.number === y.number ||
      Math.abs(x.number - y.number) <= absolute + relative * Math.max(Math.abs(x.number), Math.abs(y.number));
    if (!same) return `number ${x.text} recorded, ${y.text} fresh (beyond the tolerance)`;
  }
  return undefined;
}

function tokens(text: string): { text: string; number?: number }[] {
  const out: { text: string; number?: number }[] = [];
  let last = 0;
  for (const match of text.matchAll(NUMBER)) {
    const at = match.index ?? 0;
    if (at > last) out.push({ text: text.slice(last, at) });
    const lower = match[0].toLowerCase();
    const value = lower.endsWith("nan")
      ? Number.NaN
      : lower.endsWith("inf")
        ? lower.startsWith("-")
          ? -Infinity
          : Infinity
        : Number(match[0]);
    out.push({ text: match[0], number: value });
    last = at + match[0].length;
  }
  if (last < text.length) out.push({ text: text.slice(last) });
  return out;
}

/**
 * An image's pixel size. A fresh image is what a tool just produced (hostile bytes): only a data URI is decoded,
 * never a path read. A recorded one comes from the user's own dataset, where a file path is allowed.
 */
async function size(ref: string, fromDataset: boolean): Promise<string> {
  if (!fromDataset && !ref.startsWith("data:")) return "not a data URI";
  const found = await imageBytes(ref, ".");
  if (!("bytes" in found)) return "unreadable";
  const header = readImageHeader(found.bytes);
  return "error" in header ? "undecodable" : `${header.width}x${header.height}`;
}

function quote(text: string): string {
  const short = text.length > 80 ? `${text.slice(0, 77)}...` : text;
  return JSON.stringify(short);
}
