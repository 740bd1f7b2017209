export const TOOL_CALL_OPEN = "<tool_call>";
export const TOOL_CALL_CLOSE = "</tool_call>";

/** Where a `<tag>…</tag>` block lies in a text: the opening tag's index and its content's bounds. */
export interface TagBlock {
  open: number;
  contentStart: number;
  contentEnd: number;
}

/** Where a `<tool_call>…</tool_call>` block lies in a text. */
export type ToolCallBlock = TagBlock;

/**
 * The first block the non-global regex `open(.*?)close` (DOTALL) matches: the earliest opening tag followed by a
 * closing tag, up to the first such closing tag. Found with indexOf, because that regex retries its lazy scan from
 * every opening tag (a model turn of 60,000 unclosed tags took seconds); each character is scanned once here.
 */
export function firstTagBlock(text: string, openTag: string, closeTag: string): TagBlock | undefined {
  const open = text.indexOf(openTag);
  if (open < 0) return undefined;
  const contentStart = open + openTag.length;
  // No closing tag after the earliest opening tag means none after any later one: the regex fails too.
  const contentEnd = text.indexOf(closeTag, contentStart);
  return contentEnd < 0 ? undefined : { open, contentStart, contentEnd };
}

/**
 * The LAST block the global regex `open(.*?)close` (DOTALL) finds, as `re.findall` does: matches start at the
 * earliest opening tag after the previous match and end at the first closing tag after it. Linear, as above.
 */
export function lastTagBlock(text: string, openTag: string, closeTag: string): TagBlock | undefined {
  let last: TagBlock | undefined;
  let cursor = 0;
  for (;;) {
    const open = text.indexOf(openTag, cursor);
    if (open < 0) return last;
    const contentStart = open + openTag.length;
    const contentEnd = text.indexOf(closeTag, contentStart);
    // No closing tag after this opening tag means none after any later one either: the regex stops here too.
    if (contentEnd < 0) return last;
    last = { open, contentStart, contentEnd };
    cursor = contentEnd + closeTag.length;
  }
}

/** The LAST block the reference's `re.findall(r"<tool_call>(.*?)</tool_call>", text, re.DOTALL)` finds. */
export function lastToolCallBlock(text: string): ToolCallBlock | undefined {
  return lastTagBlock(text, TOOL_CALL_OPEN, TOOL_CALL_CLOSE);
}

/** Every index where `needle` starts in `text`, overlapping occurrences included, ascending. */
export function indicesOf(text: string, needle: string): number[] {
  const found: number[] = [];
  for (let i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) found.push(i);
  return found;
}
