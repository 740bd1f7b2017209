import { pythonStrip } from "./python-str";
import { assertString } from "./validate";

// `[\s\S]` is Python's DOTALL `.`; the lazy quantifier stops at the first `</answer>` after the first `<answer>`.
const ANSWER_SPAN = /<answer>([\s\S]*?)<\/answer>/;

/**
 * The model's final answer: the text inside the FIRST `<answer>…</answer>` pair (the closing tag nearest
 * after the first opening tag; newlines included), with surrounding whitespace stripped as Python's
 * `str.strip()` strips it. This is what the reference's reward manager sends to the judge.
 *
 * @param text - the decoded response, observations included (as the reference decodes it).
 * @returns the stripped answer; `""` for `<answer></answer>`; `undefined` when there is no complete pair.
 *   (The reference uses `""` for both of the last two; it then skips the judge and scores 0.)
 * @throws RewardsError when `text` is not a string.
 *
 * @example
 * extractAnswer("<reason>2+2</reason><answer> 4 </answer>"); // "4"
 */
export function extractAnswer(text: string): string | undefined {
  assertString(text, "extractAnswer", "text");
  const match = ANSWER_SPAN.exec(text);
  return match === null ? undefined : pythonStrip(match[1] ?? "");
}
