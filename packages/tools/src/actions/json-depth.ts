/**
 * The deepest nesting of arrays and objects a tool call may have. Python's json (the reference's parser) gives up
 * near 1,000 levels; V8's JSON.stringify, which later writes a parsed call into replies, replays and logs, overflows
 * its stack near 4,000 levels from a shallow stack and sooner from a deep one, while JSON.parse accepts any depth.
 * Real calls nest a handful of levels.
 */
export const MAX_JSON_DEPTH = 512;

const BACKSLASH = 0x5c;
const QUOTE = 0x22;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/**
 * True when JSON text nests arrays/objects deeper than `max`, skipping strings and their escapes. One linear scan,
 * so it can run before JSON.parse; exact for valid JSON (invalid JSON fails to parse anyway). Takes the text or its
 * UTF-8 bytes (a request body before decoding): every character it looks at is ASCII, and no byte of a multi-byte
 * UTF-8 sequence is.
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

/**
 * True when a value (an already parsed request body) nests arrays/objects deeper than `max`. Iterative, so the check
 * itself cannot overflow the stack; it stops at the first path past `max`, which also ends it on a cyclic value.
 */
export function valueNestsDeeper(value: unknown, max: number): boolean {
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    if (typeof top.value !== "object" || top.value === null) continue;
    const depth = top.depth + 1;
    if (depth > max) return true;
    const children: unknown[] = Array.isArray(top.value) ? top.value : Object.values(top.value);
    for (const child of children) stack.push({ value: child, depth });
  }
  return false;
}
