import { normalizeAnswer } from "@hdpo/rewards";

/** A number read from an answer, with what it was written as. */
export interface ParsedNumber {
  value: number;
  /** Written with a `%` sign (`50%`, `50\%`); `value` is then the number before the sign (50, not 0.5). */
  percent: boolean;
  /** The unit after the number, lower-cased and without spaces (`"cm"`, `"m^2"`); `""` when there is none. */
  unit: string;
  /** Digits after the decimal point of a plain decimal (`3.10` → 2); `undefined` for fractions and `1e3`. */
  decimals: number | undefined;
}

const SIGNED_DECIMAL = String.raw`[+-]?(?:\d+(?:\.\d*)?|\.\d+)`;
const DECIMAL_LITERAL = new RegExp(String.raw`^(${SIGNED_DECIMAL})(e[+-]?\d+)?`);
const PLAIN_FRACTION = /^([+-]?\d+(?:\.\d+)?)\s*\/\s*(\d+(?:\.\d+)?)/;
const LATEX_FRACTION = /^([+-]?)\s*\\frac\s*\{\s*([+-]?\d+(?:\.\d+)?)\s*\}\s*\{\s*(\d+(?:\.\d+)?)\s*\}/;
// A variable being assigned (`x = 12`) says nothing about the value.
const ASSIGNMENT = /^[a-z]\s*=\s*/;
const CURRENCY = /^(?:\\\$|[$€£¥])\s*/;
// One unit word with an optional exponent (`m^2`, `m^{2}`, `m2`), joined by `/`, `*`, `·` or a space: at most
// two words, so that a sentence after a number ("12 is my guess") is not taken for a unit.
const UNIT_WORD = String.raw`[a-zµ°]+(?:\^?\{?\d+\}?)?`;
const UNIT = new RegExp(String.raw`^(${UNIT_WORD}(?:\s*(?:\/|\*|·|\\cdot)?\s*${UNIT_WORD})?)$`);
const MAX_NUMBER_ANSWER_CHARS = 1024;
// Words that turn "12 <word>" into a statement about 12 rather than a quantity of something.
const NOT_A_UNIT = new Set([
  "not",
  "no",
  "is",
  "or",
  "and",
  "nor",
  "but",
  "wrong",
  "incorrect",
  "false",
  "maybe",
]);

/**
 * Reads an answer that is a number and nothing else but a unit: integers, decimals, `1e3`, thousands
 * separators (`1,234`), fractions (`3/4`, `\frac{3}{4}`, `\dfrac`, `-\frac{3}{4}`), a percent sign, a
 * currency sign in front, a unit of at most two words after it (`12 cm`, `5 km/h`, `90^\circ`), and the
 * wrappers `normalizeAnswer` removes (`\boxed{}`, `$…$`, `\text{}`). Returns `undefined` for anything else
 * — a number inside a sentence is not read, so "12" is never found inside "123" or "12 or 13".
 */
export function parseNumber(text: string): ParsedNumber | undefined {
  // No number with a unit is this long, and the unit pattern backtracks quadratically on long runs of letters or
  // spaces (model text): 32,000 characters took a second. Longer answers are not numbers.
  if (text.length > MAX_NUMBER_ANSWER_CHARS) return undefined;
  let rest = normalizeAnswer(text)
    .replace(/[−–]/g, "-")
    .replace(/\\[dt]frac/g, "\\frac")
    .replace(/\\%/g, "%")
    .replace(/\^\s*\{\s*\\circ\s*\}|\^\s*\\circ|\\circ|\\degree/g, "°")
    .replace(/\\(?:mathrm|mbox|textrm|operatorname)\s*\{([^{}]*)\}/g, " $1")
    .replace(/\\[,;:! ]|~/g, " ")
    .trim()
    .replace(ASSIGNMENT, "")
    .replace(CURRENCY, "");
  if (rest.endsWith(".") && !/\d\.$/.test(rest)) rest = rest.slice(0, -1).trimEnd();
  const read = readNumber(rest);
  if (read === undefined) return undefined;
  let tail = rest.slice(read.length).trim();
  const percent = tail.startsWith("%");
  if (percent) tail = tail.slice(1).trim();
  if (tail.endsWith(".")) tail = tail.slice(0, -1).trimEnd();
  if (tail !== "" && !isUnit(tail)) return undefined;
  if (!Number.isFinite(read.value)) return undefined;
  return { value: read.value, percent, unit: tail.replace(/\s+/g, ""), decimals: read.decimals };
}

interface ReadNumber {
  value: number;
  length: number;
  decimals: number | undefined;
}

function readNumber(text: string): ReadNumber | undefined {
  const latex = LATEX_FRACTION.exec(text);
  if (latex !== null) {
    const sign = latex[1] === "-" ? -1 : 1;
    return fraction(sign * Number(latex[2]), Number(latex[3]), latex[0].length);
  }
  const plain = PLAIN_FRACTION.exec(text);
  if (plain !== null) return fraction(Number(plain[1]), Number(plain[2]), plain[0].length);
  const decimal = DECIMAL_LITERAL.exec(text);
  if (decimal === null) return undefined;
  const mantissa = decimal[1]!;
  const point = mantissa.indexOf(".");
  const decimals = decimal[2] === undefined ? (point === -1 ? 0 : mantissa.length - point - 1) : undefined;
  return { value: Number(decimal[0]), length: decimal[0].length, decimals };
}

function fraction(numerator: number, denominator: number, length: number): ReadNumber | undefined {
  if (denominator === 0) return undefined;
  return { value: numerator / denominator, length, decimals: undefined };
}

function isUnit(text: string): boolean {
  if (!UNIT.test(text)) return false;
  return text.split(/[\s/*·]+/).every((word) => !NOT_A_UNIT.has(word));
}
