/**
 * The most decoded bytes an image from a tool may have. The tool server resizes observation images to at most
 * 5120·32² pixels (metis-protocol.md §3); such an image as an RGBA PNG is about 21 MB, so 24 MiB lets any of them
 * through and stops a reply that only pretends to be one.
 */
export const MAX_OBSERVATION_IMAGE_BYTES = 24 * 1024 * 1024;

/** What {@link validateObservationImage} lets through, for messages that say so. */
export const ACCEPTED_OBSERVATION_IMAGES = `data:image/png, jpeg, gif or webp base64 URIs of at most ${MAX_OBSERVATION_IMAGE_BYTES} bytes`;

/** The outcome of {@link validateObservationImage}: the image, unchanged, or why it is refused. */
export type ObservationImageCheck = { ok: true; image: string } | { ok: false; reason: string };

const FORMATS = [
  {
    prefix: "data:image/png;base64,",
    name: "PNG",
    signature: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
  },
  { prefix: "data:image/jpeg;base64,", name: "JPEG", signature: [0xff, 0xd8, 0xff] },
  // Image search answers in the format of the operator's own collection; these two are the other formats
  // OpenAI-compatible servers take (BMP is not one of them).
  { prefix: "data:image/gif;base64,", name: "GIF", signature: [0x47, 0x49, 0x46, 0x38] },
  { prefix: "data:image/webp;base64,", name: "WebP", signature: [0x52, 0x49, 0x46, 0x46] },
] as const;

/** Base64 characters that decode the longest signature above (8 bytes → 12 characters). */
const SIGNATURE_CHARS = 12;

/**
 * Checks one image that came from a tool (an observation): only `data:image/png|jpeg|gif|webp;base64,…` with
 * canonical base64, bytes that start as the named format does, and at most
 * `maxBytes` decoded bytes pass. Anything else, a file path, a URL, another data URI, a number, is refused, because
 * images from tools are written by sandboxed code or a remote server: reading a path would send a host file to the
 * policy server, fetching a URL would make requests for them. Pure and linear: one character-class scan.
 */
export function validateObservationImage(
  value: unknown,
  maxBytes: number = MAX_OBSERVATION_IMAGE_BYTES,
): ObservationImageCheck {
  if (typeof value !== "string") return refuse(`it is ${kindOf(value)}, not a string`);
  const format = FORMATS.find((f) => value.startsWith(f.prefix));
  if (format === undefined) return refuse(describeNonImage(value));
  const start = format.prefix.length;
  const chars = value.length - start;
  // Checked before the scan, so an oversized payload costs nothing to refuse.
  if (chars > 4 * Math.ceil(maxBytes / 3)) {
    return refuse(`its ${format.name} data is over the ${maxBytes}-byte limit for one image`);
  }
  if (chars < SIGNATURE_CHARS || chars % 4 !== 0) {
    return refuse(
      `its base64 data has ${chars} characters, not a multiple of 4 of at least ${SIGNATURE_CHARS}`,
    );
  }
  const bad = firstNonBase64(value, start);
  if (bad >= 0) return refuse(`its base64 data has an invalid character at offset ${bad - start}`);
  const head = Buffer.from(value.slice(start, start + SIGNATURE_CHARS), "base64");
  if (!format.signature.every((byte, i) => head[i] === byte)) {
    return refuse(`its bytes do not start with the ${format.name} signature`);
  }
  return { ok: true, image: value };
}

/**
 * The index of the first character of `text` from `start` on that canonical padded base64 does not allow, or -1.
 * `=` may only end the text, at most twice. A loop over character codes, so no regex backtracks on hostile text.
 */
function firstNonBase64(text: string, start: number): number {
  const end = text.length;
  let padding = end;
  if (text.charCodeAt(end - 1) === 0x3d /* = */)
    padding = text.charCodeAt(end - 2) === 0x3d ? end - 2 : end - 1;
  for (let i = start; i < padding; i++) {
    const c = text.charCodeAt(i);
    const ok =
      (c >= 0x41 && c <= 0x5a) || // A-Z
      (c >= 0x61 && c <= 0x7a) || // a-z
      (c >= 0x30 && c <= 0x39) || // 0-9
      c === 0x2b || // +
      c === 0x2f; // /
    if (!ok) return i;
  }
  return -1;
}

function refuse(reason: string): ObservationImageCheck {
  return { ok: false, reason };
}

/** What a string that is not a PNG/JPEG data URI looks like, judged from its first characters only. */
function describeNonImage(value: string): string {
  const head = value.slice(0, 16).toLowerCase();
  if (head.startsWith("http://") || head.startsWith("https://")) {
    return "it is a URL; an image from a tool is never fetched";
  }
  if (head.startsWith("data:")) {
    return "it is a data URI but not data:image/png, jpeg, gif or webp;base64";
  }
  return "it is not a data URI (a file path or other text); an image from a tool is never read from disk";
}

function kindOf(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return "an array";
  const type = typeof value;
  return type === "object" ? "an object" : `a ${type}`;
}

/** Images of one observation that passed {@link validateObservationImage}, and one line per refused image. */
export interface ScreenedImages {
  images: string[];
  refused: string[];
}

/**
 * Splits an observation's images (as a tool executor returned them, so of any type) into the ones that pass
 * {@link validateObservationImage} and a line per refused one, e.g. "image 2: it is a URL; …".
 */
export function screenObservationImages(images: unknown): ScreenedImages {
  if (images === undefined || images === null) return { images: [], refused: [] };
  if (!Array.isArray(images))
    return { images: [], refused: [`the images are ${kindOf(images)}, not a list`] };
  const passed: string[] = [];
  const refused: string[] = [];
  images.forEach((image: unknown, index) => {
    const check = validateObservationImage(image);
    if (check.ok) passed.push(check.image);
    else refused.push(`image ${index + 1}: ${check.reason}`);
  });
  return { images: passed, refused };
}

/** Note lines shown to the model at most; a flood of bad images is summarised after them. */
const MAX_NOTE_LINES = 3;

/**
 * The text appended to an observation whose tool returned refused images, so the model reads why it sees fewer
 * images than the tool printed (the reference skips undecodable images silently); "" when none was refused.
 */
export function refusedImagesNote(refused: readonly string[]): string {
  if (refused.length === 0) return "";
  const lines = refused.slice(0, MAX_NOTE_LINES).map((line) => `\n[Not shown: ${line}.]`);
  if (refused.length > MAX_NOTE_LINES) {
    lines.push(`\n[Not shown: ${refused.length - MAX_NOTE_LINES} more images that were refused.]`);
  }
  return lines.join("");
}
