/**
 * Ids past the UTF-16 range that stand for several characters, as merged tokens of a real vocabulary do. `encode`
 * never produces them, so a reply scripted with one (`ScriptedReply.tokenIds`) is a sampled turn whose ids are not
 * the canonical encoding of its text: what a model may sample, and what re-tokenising its text loses.
 */
export const MULTI_CHAR_TOKENS: ReadonlyMap<number, string> = new Map([
  [0x10000, "print"],
  [0x10001, "<tool_call>"],
  [0x10002, "42"],
]);

/**
 * The test server's tokenizer: one token per UTF-16 code unit, id = the code unit, plus the few
 * {@link MULTI_CHAR_TOKENS} that only `decode` knows. Real enough to check token ids end to end (the canonical
 * encoding round-trips exactly) without a vocabulary file.
 */
export const charTokenizer = {
  encode(text: string): number[] {
    return Array.from({ length: text.length }, (_, i) => text.charCodeAt(i));
  },
  decode(ids: readonly number[]): string {
    let text = "";
    for (const id of ids) text += MULTI_CHAR_TOKENS.get(id) ?? String.fromCharCode(id);
    return text;
  },
} as const;
