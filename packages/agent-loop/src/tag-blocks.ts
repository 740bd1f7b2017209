/** The content bounds of one `<tag>…</tag>` block found in a text. */
export interface TagBlock {
  contentStart: number;
  contentEnd: number;
}

// @hdpo/tools has the same two scans for the tool server's parser; the agent loop does not depend on @hdpo/tools
// (it reaches tools only through the ToolExecutor seam), so it keeps its own copy of these few lines.

/**
 * The first block the non-global regex `open([\s\S]*?)close` matches: the earliest opening tag followed by a closing
 * tag, up to the first such closing tag. With indexOf: that regex retries its lazy scan from every opening tag, so
 * a model turn of 60,000 unclosed tags took seconds; this scans each character once.
 */
export function firstTagBlock(text: string, open: string, close: string): TagBlock | undefined {
  const at = text.indexOf(open);
  if (at < 0) return undefined;
  const contentStart = at + open.length;
  // No closing tag after the earliest opening tag means none after any later one: the regex fails too.
  const contentEnd = text.indexOf(close, contentStart);
  return contentEnd < 0 ? undefined : { contentStart, contentEnd };
}

/** The LAST block the global regex `open([\s\S]*?)close` matches (each match starts after the previous one). */
export function lastTagBlock(text: string, open: string, close: string): TagBlock | undefined {
  let last: TagBlock | undefined;
  let cursor = 0;
  for (;;) {
    const at = text.indexOf(open, cursor);
    if (at < 0) return last;
    const contentStart = at + open.length;
    const contentEnd = text.indexOf(close, contentStart);
    if (contentEnd < 0) return last;
    last = { contentStart, contentEnd };
    cursor = contentEnd + close.length;
  }
}
