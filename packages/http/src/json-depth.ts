const BACKSLASH = 0x5c;
const QUOTE = 0x22;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/**
 * True when JSON text nests arrays/objects deeper than `max`, skipping strings and their escapes. One linear scan,
 * so it can run before JSON.parse: `JSON.parse` copes with any depth, but everything after it that walks the value
 * recursively (`JSON.stringify`, validation, logging) overflows the stack on a few hundred KiB of `[[[[…`. Exact for
 * valid JSON (invalid JSON fails to parse anyway). Takes the text or its UTF-8 bytes (a request body before
 * decoding): every character it looks at is ASCII, and no byte of a multi-byte UTF-8 sequence is.
 */
export function jsonTextNestsDeeper(text: string | Uint8Array, max: number): boolean {
  const at: (i: number) => number =
    typeof text === "string" ? (i) => text.charCodeAt(i) : (i) => text[i] as number;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = at(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_BRACKET || c === OPEN_BRACE) {
      if (++depth > max) return true;
    } else if ((c === CLOSE_BRACKET || c === CLOSE_BRACE) && depth > 0) {
      depth--;
    }
  }
  return false;
}
