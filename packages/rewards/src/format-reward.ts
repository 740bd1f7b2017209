import { pythonCount } from "./python-str";
import { assertString } from "./validate";

const REASON_CLOSE = "</reason>";

/**
 * The reference's format score. 1 iff all three hold, else 0:
 * - count(`<reason>`) = count(`</reason>`) over the whole text;
 * - count(`<tool_call>`) = count(`</tool_call>`) over the whole text;
 * - in the text after the last `</reason>` (the whole text when there is none), count(`<answer>`) =
 *   count(`</answer>`) ≥ 1.
 *
 * Counts are Python `str.count` counts (plain, non-overlapping, case-sensitive substrings): order and
 * nesting are not checked. Tags inside tool observations count too, because the reference scores the
 * decoded response with its observations; a deduplicated `image_search` notice that mentions `<answer>`
 * can therefore break a rollout's format.
 *
 * @param text - the decoded response, observations included.
 * @throws RewardsError when `text` is not a string.
 *
 * @example
 * formatReward("<reason>r</reason><answer>4</answer>"); // 1
 * formatReward("<reason>r</reason><answer>4");          // 0
 */
export function formatReward(text: string): 0 | 1 {
  assertString(text, "formatReward", "text");
  if (pythonCount(text, "<reason>") !== pythonCount(text, REASON_CLOSE)) return 0;
  if (pythonCount(text, "<tool_call>") !== pythonCount(text, "</tool_call>")) return 0;
  // Python's `text.split("</reason>")[-1]`; the tag cannot overlap itself, so the last occurrence is the split point.
  const lastReasonClose = text.lastIndexOf(REASON_CLOSE);
  const tail = lastReasonClose === -1 ? text : text.slice(lastReasonClose + REASON_CLOSE.length);
  const answerOpens = pythonCount(tail, "<answer>");
  return answerOpens >= 1 && answerOpens === pythonCount(tail, "</answer>") ? 1 : 0;
}
