import { readFile } from "node:fs/promises";
import { isAbsolute, resolve } from "node:path";

/**
 * The bytes of an image reference: a `data:` URI decoded, a file path (relative to the input's folder) read.
 * http(s) URLs are not fetched (curation runs offline): they answer `remote`.
 */
export async function imageBytes(
  ref: string,
  baseDir: string,
): Promise<{ bytes: Uint8Array } | { error: string } | { remote: true }> {
  if (ref.startsWith("data:")) {
    const comma = ref.indexOf(",");
    if (comma < 0) return { error: "data URI without a comma" };
    const meta = ref.slice(5, comma);
    const payload = ref.slice(comma + 1);
    if (meta.endsWith(";base64")) return { bytes: Buffer.from(payload, "base64") };
    try {
      return { bytes: Buffer.from(decodeURIComponent(payload), "latin1") };
    } catch {
      return { error: "data URI with bad percent-encoding" };
    }
  }
  if (/^https?:\/\//i.test(ref)) return { remote: true };
  const path = isAbsolute(ref) ? ref : resolve(baseDir, ref);
  try {
    return { bytes: await readFile(path) };
  } catch (error) {
    return { error: `missing image file ${ref} (${(error as NodeJS.ErrnoException).code ?? String(error)})` };
  }
}
