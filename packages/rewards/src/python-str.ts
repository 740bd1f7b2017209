// The reference's reward manager is Python; these reproduce the two `str` methods whose JavaScript
// look-alikes differ from it, so that format scores and extracted answers match byte for byte.

// Python's `str.isspace()` set. JavaScript's `trim()` differs: it also strips U+FEFF, and it keeps
// U+001C–U+001F and U+0085, which Python strips.
const PYTHON_WHITESPACE = new Set<number>([
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002,
  0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
]);

/** Python's `text.strip()` with no argument. All the whitespace is in the BMP, so UTF-16 units suffice. */
export function pythonStrip(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && PYTHON_WHITESPACE.has(text.charCodeAt(start))) start++;
  while (end > start && PYTHON_WHITESPACE.has(text.charCodeAt(end - 1))) end--;
  return text.slice(start, end);
}

/** Python's `text.count(needle)`: non-overlapping occurrences, scanning left to right. `needle` must be non-empty. */
export function pythonCount(text: string, needle: string): number {
  let count = 0;
  let from = text.indexOf(needle);
  while (from !== -1) {
    count++;
    from = text.indexOf(needle, from + needle.length);
  }
  return count;
}
