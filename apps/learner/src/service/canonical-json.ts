import { createHash } from "node:crypto";

/**
 * A SHA-256 of `value` as canonical JSON (object keys sorted), so that a retried request whose keys come in another
 * order still counts as the same payload. The value is a validated request (its depth is capped at the HTTP edge).
 */
export function payloadHash(value: unknown): string {
  const hash = createHash("sha256");
  write(value, (text) => hash.update(text));
  return hash.digest("hex");
}

function write(value: unknown, out: (text: string) => void): void {
  if (Array.isArray(value)) {
    if (value.every((item) => typeof item === "number")) {
      out(JSON.stringify(value));
      return;
    }
    out("[");
    value.forEach((item, i) => {
      if (i > 0) out(",");
      write(item, out);
    });
    out("]");
    return;
  }
  if (typeof value === "object" && value !== null) {
    out("{");
    Object.keys(value)
      .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
      .sort()
      .forEach((key, i) => {
        if (i > 0) out(",");
        out(JSON.stringify(key));
        out(":");
        write((value as Record<string, unknown>)[key], out);
      });
    out("}");
    return;
  }
  out(JSON.stringify(value ?? null));
}
