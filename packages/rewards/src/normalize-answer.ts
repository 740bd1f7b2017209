import { pythonStrip } from "./python-str";
import { assertString } from "./validate";

// Commands whose braced argument is the answer itself; unwrapped wherever they occur in the text.
const UNWRAPPED_COMMANDS = ["\\boxed{", "\\text{"] as const;

// Delimiter pairs unwrapped wherever a complete, non-empty pair occurs (paired left to right, shortest
// content first); `$$` before `$` so that `$$x$$` loses both, and a lone `$5` (a currency) is not a pair.
const DELIMITER_PAIRS: ReadonlyArray<readonly [open: string, close: string]> = [
  ["$$", "$$"],
  ["\\[", "\\]"],
  ["\\(", "\\)"],
  ["**", "**"],
  ["$", "$"],
];

// A comma between digits with exactly three digits after it, then a non-digit or the end: `1,234` but not
// `1,2` or `1,2345`. ASCII digits only (no `u` flag).
const THOUSANDS_SEPARATOR = /(?<=\d),(?=\d{3}(?!\d))/g;

/**
 * A canonical form of an answer for string comparison, so that `\boxed{\frac{1}{2}}`, `$\frac{1}{2}$` and
 * `\frac{1}{2}` compare equal. Repeats, until the text no longer changes:
 * - unwrap `\boxed{…}` and `\text{…}` anywhere in the text, nested ones too, matching braces (`\{`, `\}` and
 *   `\\` are escapes, not braces; a command without its closing brace is left as it is);
 * - unwrap every complete, non-empty `$$…$$`, `\[…\]`, `\(…\)`, `**…**` and `$…$` pair wherever it occurs
 *   (`$a$ and $b$` → `a and b`; a lone `$` as in `costs $5` is not a pair and stays);
 * - drop thousands separators (`1,234,567` → `1234567`; `1,2`, `(3,4)` and `1,2345` are kept);
 * - strip surrounding whitespace (Python's `str.strip()` set) and lower-case.
 *
 * Not part of the reference: its reward manager has a `normalize()` it never calls and leaves answer
 * matching to the LLM judge. This is for rule verifiers and metrics. It is deterministic, never throws on a
 * string, and idempotent: `normalizeAnswer(normalizeAnswer(x)) === normalizeAnswer(x)`.
 *
 * @throws RewardsError when `text` is not a string.
 *
 * @example
 * normalizeAnswer("  $\\boxed{1,234}$ "); // "1234"
 */
export function normalizeAnswer(text: string): string {
  assertString(text, "normalizeAnswer", "text");
  // Terminates: every step but lower-casing only removes characters, and lower-casing is a no-op from the
  // second pass on, since nothing the other steps do can make a character upper-case again. Each pass is
  // linear in the length, and ordinary answers settle within a few passes.
  let current = text;
  for (;;) {
    const next = normalizeOnce(current);
    if (next === current) return current;
    current = next;
  }
}

function normalizeOnce(text: string): string {
  let result = unwrapCommands(pythonStrip(text));
  result = unwrapDelimiterPairs(result);
  result = result.replace(THOUSANDS_SEPARATOR, "");
  return pythonStrip(result).toLowerCase();
}

/**
 * Unwraps every command whose braces match, nested ones included, in one linear pass: the command's prefix
 * and its closing brace are dropped, its content kept.
 */
function unwrapCommands(text: string): string {
  if (!text.includes("\\")) return text;
  const closingBrace = matchBraces(text);
  const dropped = new Uint8Array(text.length);
  let unwrappedAny = false;
  for (let index = text.indexOf("\\"); index !== -1; index = text.indexOf("\\", index + 1)) {
    const command = UNWRAPPED_COMMANDS.find((candidate) => text.startsWith(candidate, index));
    if (command === undefined) continue;
    const openBrace = index + command.length - 1;
    const closeBrace = closingBrace[openBrace]!;
    if (closeBrace === -1) continue;
    dropped.fill(1, index, openBrace + 1);
    dropped[closeBrace] = 1;
    unwrappedAny = true;
  }
  if (!unwrappedAny) return text;
  let result = "";
  let keptFrom = 0;
  for (let i = 0; i < text.length; i++) {
    if (dropped[i] === 1) {
      result += text.slice(keptFrom, i);
      keptFrom = i + 1;
    }
  }
  return result + text.slice(keptFrom);
}

/**
 * For each `{`, the index of the `}` that closes it, or -1 when the text ends first (other entries are
 * unused). A backslash escapes the next character, so `\\{`, `\\}` are text and `\\\\` is one escaped
 * backslash. A command's `{` follows a letter, never a backslash, so scanning from the start of the text
 * pairs it exactly as scanning from the brace itself would.
 */
function matchBraces(text: string): Int32Array {
  const closingBrace = new Int32Array(text.length).fill(-1);
  const openBraces: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (char === "\\") {
      i++;
    } else if (char === "{") {
      openBraces.push(i);
    } else if (char === "}") {
      const openBrace = openBraces.pop();
      if (openBrace !== undefined) closingBrace[openBrace] = i;
    }
  }
  return closingBrace;
}

function unwrapDelimiterPairs(text: string): string {
  let result = text;
  for (const [open, close] of DELIMITER_PAIRS) result = unwrapPairs(result, open, close);
  return result;
}

// indexOf rather than a lazy regex: once a closing delimiter is missing no later pair can close either, so
// the scan stops, and the whole pass stays linear in the length even on adversarial text.
function unwrapPairs(text: string, open: string, close: string): string {
  let result = "";
  let keptFrom = 0;
  for (;;) {
    const start = text.indexOf(open, keptFrom);
    if (start === -1) break;
    const end = text.indexOf(close, start + open.length + 1);
    if (end === -1) break;
    result += text.slice(keptFrom, start) + text.slice(start + open.length, end);
    keptFrom = end + close.length;
  }
  return result + text.slice(keptFrom);
}
