import { readFile } from "node:fs/promises";
import { extname, isAbsolute, resolve } from "node:path";

const MIME_BY_EXTENSION: Record<string, string> = {
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".bmp": "image/bmp",
};

/** The image type from its first bytes; datasets rarely say what their bytes are. */
export function sniffImageMime(bytes: Uint8Array): string {
  if (bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return "image/png";
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return "image/jpeg";
  if (bytes[0] === 0x47 && bytes[1] === 0x49 && bytes[2] === 0x46) return "image/gif";
  if (bytes[0] === 0x42 && bytes[1] === 0x4d) return "image/bmp";
  if (bytes[8] === 0x57 && bytes[9] === 0x45 && bytes[10] === 0x42 && bytes[11] === 0x50) return "image/webp";
  return "image/jpeg";
}

/** Raw image bytes as a `data:` URI. */
export function bytesToDataUri(bytes: Uint8Array): string {
  return `data:${sniffImageMime(bytes)};base64,${Buffer.from(bytes).toString("base64")}`;
}

/** Bare base64 (VLMEvalKit's `image` column) as a `data:` URI, typed by its decoded first bytes. */
export function base64ToDataUri(base64: string): string {
  const head = Buffer.from(base64.slice(0, 24), "base64");
  return `data:${sniffImageMime(head)};base64,${base64}`;
}

/**
 * An image reference as the model will receive it: `data:` and http(s) URIs pass through, anything else is a
 * file path (relative to the dataset's folder) read into a `data:` URI.
 * @throws Error with the path when the file cannot be read (the caller adds row and column).
 */
export async function imageRefToDataUri(ref: string, baseDir: string): Promise<string> {
  if (ref.startsWith("data:") || /^https?:\/\//.test(ref)) return ref;
  const path = isAbsolute(ref) ? ref : resolve(baseDir, ref);
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new Error(
      `cannot read image file ${path} (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
    );
  }
  const mime = MIME_BY_EXTENSION[extname(path).toLowerCase()] ?? sniffImageMime(bytes);
  return `data:${mime};base64,${bytes.toString("base64")}`;
}
