import { pythonStrip } from "./python-str";
import { assertString } from "./validate";

const OPEN = "<answer>";
const CLOSE = "</answer>";

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
  // The reference's `re.search(r"<answer>(.*?)</answer>", text, re.DOTALL)` as two scans: the search that starts at
  // the first `<answer>` ends at the first `</answer>` after it, and when none follows it, none follows any later
  // `<answer>` either. The regex itself re-scans the tail from every `<answer>` (quadratic on model text).
  const open = text.indexOf(OPEN);
  if (open < 0) return undefined;
  const close = text.indexOf(CLOSE, open + OPEN.length);
  return close < 0 ? undefined : pythonStrip(text.slice(open + OPEN.length, close));
}
