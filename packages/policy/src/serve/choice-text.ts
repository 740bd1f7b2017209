import type { GeneratedSequence } from "../model/generate";
import type { TextCodec } from "../text-codec";

/** What a client sees of one generated sequence. */
export interface ChoiceText {
  /** Every generated token, the closing end-of-sequence token included (it is sampled, so it has a log-prob). */
  tokenIds: number[];
  logProbs: number[];
  /** The returned text: special tokens skipped and cut before the first stop string (OpenAI/vLLM semantics). */
  text: string;
  finishReason: "stop" | "length";
  /**
   * `ends[i]`: how much of `text` is known once token i is out (non-decreasing, the last equals `text.length`).
   * Stream deltas and `text_offset` come from it; a token that ends mid-character adds nothing until the
   * character is complete.
   */
  ends: number[];
}

const REPLACEMENT = "\uFFFD";

/**
 * Turns a `generate` result into the returned text. The stop string itself is not returned, as in OpenAI and
 * vLLM; hdpo's agent loop re-appends `</tool_call>` when a server strips it, so both kinds of server work there.
 */
export function choiceText(
  sequence: GeneratedSequence,
  codec: TextCodec,
  stop: readonly string[],
): ChoiceText {
  const ids = sequence.tokenIds;
  const endsWithEos =
    sequence.finishReason === "stop" && ids.length > 0 && codec.eosTokenIds.includes(ids[ids.length - 1]!);
  const visible = endsWithEos ? ids.slice(0, -1) : ids;
  const decoded = codec.decode(visible, { skipSpecialTokens: true });
  let cut = decoded.length;
  for (const s of stop) {
    const at = decoded.indexOf(s);
    if (at >= 0) cut = Math.min(cut, at);
  }
  const text = decoded.slice(0, cut);
  const ends: number[] = [];
  let known = 0;
  for (let i = 0; i < ids.length; i++) {
    if (i >= visible.length - 1) {
      known = text.length;
    } else {
      let prefix = codec.decode(visible.slice(0, i + 1), { skipSpecialTokens: true });
      while (prefix.endsWith(REPLACEMENT)) prefix = prefix.slice(0, -1);
      known = Math.max(known, commonPrefixLength(prefix, text));
    }
    ends.push(known);
  }
  return {
    tokenIds: [...ids],
    logProbs: [...sequence.logProbs],
    text,
    finishReason: sequence.finishReason,
    ends,
  };
}

function commonPrefixLength(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}
