/** Image formats recognised by their first bytes; the name is what goes after `image/` in a data URI. */
export type ImageFormat = "png" | "jpeg" | "gif" | "webp" | "bmp";

/** The format of encoded image bytes by their signature, or undefined. */
export function sniffImageFormat(bytes: Uint8Array): ImageFormat | undefined {
  const starts = (...signature: number[]) => signature.every((byte, i) => bytes[i] === byte);
  if (starts(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return "png";
  if (starts(0xff, 0xd8, 0xff)) return "jpeg";
  if (starts(0x47, 0x49, 0x46, 0x38)) return "gif";
  if (
    starts(0x52, 0x49, 0x46, 0x46) &&
    bytes[8] === 0x57 &&
    bytes[9] === 0x45 &&
    bytes[10] === 0x42 &&
    bytes[11] === 0x50
  ) {
    return "webp";
  }
  if (starts(0x42, 0x4d)) return "bmp";
  return undefined;
}

/** `data:image/<format>;base64,...` as the reference writes it (format named after the bytes). */
export function toDataUri(bytes: Uint8Array, format: ImageFormat): string {
  return `data:image/${format};base64,${Buffer.from(bytes).toString("base64")}`;
}

/**
 * The bytes of an image given as a data URI or as bare base64 (the reference accepts both), or undefined
 * when it is neither.
 */
export function bytesOfImageString(value: string): Uint8Array | undefined {
  let payload = value;
  if (value.startsWith("data:")) {
    const comma = value.indexOf(",");
    if (comma === -1 || !value.slice(0, comma).endsWith(";base64")) return undefined;
    payload = value.slice(comma + 1);
  }
  const clean = payload.replace(/\s+/g, "");
  if (clean === "" || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(clean)) return undefined;
  return new Uint8Array(Buffer.from(clean, "base64"));
}
