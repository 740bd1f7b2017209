import type { TextCodec } from "../text-codec";

/**
 * How many of `generated` to keep when a stop string appears in their decoded text: the fewest leading
 * tokens whose text contains one of `stops` (so the sequence ends right after the stop string's last
 * token), or undefined when none appears. Decoding the whole tail (not one token at a time) matters:
 * a stop string can span tokens, and a multi-byte character can too.
 */
export function stopCut(
  generated: readonly number[],
  stops: readonly string[],
  codec: TextCodec,
): number | undefined {
  if (stops.length === 0 || generated.length === 0) return undefined;
  const text = codec.decode(generated);
  if (!stops.some((s) => text.includes(s))) return undefined;
  // The last token completed the first occurrence when we check after every token, but a caller may
  // check less often (or a token may hold two stops), so find the earliest prefix that contains one.
  for (let n = 1; n <= generated.length; n++) {
    const prefix = codec.decode(generated.slice(0, n));
    if (stops.some((s) => prefix.includes(s))) return n;
  }
  return generated.length;
}
