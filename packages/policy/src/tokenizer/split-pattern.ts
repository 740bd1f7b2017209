import { PolicyError } from "../policy-error";

/**
 * Qwen2's pre-tokenizer pattern, as written in its `tokenizer.json` (Oniguruma syntax). Unlike GPT-2 it
 * splits digits one at a time (`\p{N}`) and keeps trailing newlines with punctuation.
 */
export const QWEN2_SPLIT_PATTERN =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

/**
 * Qwen2's pattern with digits split in runs of up to three (as GPT-4's cl100k splits them) instead of one at a
 * time. For a small model trained from scratch: a number becomes a few nearly unique tokens, so copying it (from
 * a question into code, from a tool's output into an answer) is a lookup of the token that followed, where single
 * digits repeat within a number and make that lookup ambiguous.
 */
export const DIGIT_TRIPLES_SPLIT_PATTERN = QWEN2_SPLIT_PATTERN.replace("|\\p{N}|", "|\\p{N}{1,3}|");

/** GPT-2's pattern: what a `ByteLevel` pre-tokenizer with `use_regex: true` splits by. */
export const GPT2_SPLIT_PATTERN =
  "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

const WHITE_SPACE = "\\p{White_Space}";
const NOT_WHITE_SPACE = "\\P{White_Space}";

function caseVariants(ch: string): string {
  const lower = ch.toLowerCase();
  const upper = ch.toUpperCase();
  return lower === upper || lower.length !== 1 || upper.length !== 1 ? ch : lower + upper;
}

/**
 * Translates a Hugging Face (Oniguruma) split pattern into a JavaScript `u` regex with the same matches.
 * `\s`/`\S` become `\p{White_Space}`/`\P{White_Space}` because Oniguruma's `\s` is Unicode White_Space
 * (it includes U+0085 and excludes U+FEFF, unlike JavaScript's `\s`). Node 20 has no inline `(?i:…)`
 * groups, so letters inside one are expanded to both cases. Throws a PolicyError for what it cannot translate.
 */
export function compileSplitPattern(pattern: string): RegExp {
  let out = "";
  let inClass = false;
  // Depths of the open groups that are case-insensitive; a group closes the flag when its depth ends.
  const groupIsCaseless: boolean[] = [];
  const caseless = () => groupIsCaseless.includes(true);
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === "\\") {
      const next = pattern[i + 1];
      if (next === undefined) throw unsupported(pattern, "a trailing backslash");
      i++;
      if (next === "s") out += WHITE_SPACE;
      else if (next === "S") out += NOT_WHITE_SPACE;
      else if (next === "p" || next === "P") {
        const close = pattern.indexOf("}", i);
        if (pattern[i + 1] !== "{" || close < 0) throw unsupported(pattern, `\\${next} without {…}`);
        out += pattern.slice(i - 1, close + 1);
        i = close;
      } else out += `\\${next}`;
      continue;
    }
    if (inClass) {
      if (ch === "]") inClass = false;
      if (caseless() && /[A-Za-z]/.test(ch)) {
        if (pattern[i + 1] === "-") throw unsupported(pattern, "a letter range inside a (?i:…) group");
        out += caseVariants(ch);
      } else out += ch;
      continue;
    }
    if (ch === "[") {
      inClass = true;
      out += ch;
      if (pattern[i + 1] === "^") {
        out += "^";
        i++;
      }
      continue;
    }
    if (ch === "(") {
      if (pattern.startsWith("(?i:", i)) {
        groupIsCaseless.push(true);
        out += "(?:";
        i += 3;
        continue;
      }
      if (pattern[i + 1] === "?" && !/^\(\?(?::|=|!|<=|<!|<[A-Za-z])/.test(pattern.slice(i, i + 4))) {
        throw unsupported(pattern, `the group "${pattern.slice(i, i + 4)}…"`);
      }
      groupIsCaseless.push(false);
      out += ch;
      continue;
    }
    if (ch === ")") {
      groupIsCaseless.pop();
      out += ch;
      continue;
    }
    if (caseless() && /[A-Za-z]/.test(ch)) {
      out += `[${caseVariants(ch)}]`;
      continue;
    }
    out += ch;
  }
  try {
    return new RegExp(out, "gu");
  } catch (error) {
    throw unsupported(pattern, `the translated form /${out}/u (${(error as Error).message})`);
  }
}

function unsupported(pattern: string, what: string): PolicyError {
  return new PolicyError(
    `pre_tokenizer Split pattern ${JSON.stringify(pattern)} cannot be used: ${what} is not supported. ` +
      "Supported: Oniguruma patterns made of classes, \\p{…}, \\s/\\S, lookarounds and (?i:…) groups of literals, as in Qwen2 and GPT-2.",
  );
}

/**
 * Splits `text` the way a `Split` pre-tokenizer with behavior `Isolated` does: every match is a piece, and so is
 * any unmatched stretch between matches, so the pieces always concatenate back to `text`.
 */
export function splitIsolated(text: string, regex: RegExp): string[] {
  const pieces: string[] = [];
  let last = 0;
  regex.lastIndex = 0;
  for (const match of text.matchAll(regex)) {
    const start = match.index;
    if (match[0].length === 0) continue;
    if (start > last) pieces.push(text.slice(last, start));
    pieces.push(match[0]);
    last = start + match[0].length;
  }
  if (last < text.length) pieces.push(text.slice(last));
  return pieces;
}
