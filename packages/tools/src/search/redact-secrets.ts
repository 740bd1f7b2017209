const REDACTED = "[redacted]";

/**
 * Replaces every occurrence of each secret (and its URL-encoded form) in `text`. Provider error texts can
 * echo request URLs or headers; an API key must never reach a model or a log through them.
 */
export function redactSecrets(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const secret of secrets) {
    // Very short values would redact ordinary words; real keys are long.
    if (secret === undefined || secret.length < 4) continue;
    out = out.replaceAll(secret, REDACTED);
    const encoded = encodeURIComponent(secret);
    if (encoded !== secret) out = out.replaceAll(encoded, REDACTED);
  }
  return out;
}
