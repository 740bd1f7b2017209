export const BLOCK_START = "<!-- demo:start -->";
export const BLOCK_END = "<!-- demo:end -->";

/**
 * Replaces what lies between the demo markers (markers kept). Throws when the markers are missing or
 * out of order, so that a hand-edited page is never silently rewritten somewhere unexpected.
 */
export function replaceGeneratedBlock(page: string, content: string): string {
  const start = page.indexOf(BLOCK_START);
  const end = page.indexOf(BLOCK_END);
  if (start < 0 || end < 0 || end < start || page.indexOf(BLOCK_START, start + 1) >= 0) {
    throw new Error(
      `expected exactly one "${BLOCK_START}" followed by "${BLOCK_END}" in the page; put them back around the demo section`,
    );
  }
  return `${page.slice(0, start + BLOCK_START.length)}\n${content.trim()}\n${page.slice(end)}`;
}
