/**
 * The test server's tokenizer: one token per UTF-16 code unit, id = the code unit. Real enough to check token
 * ids end to end (encode/decode round-trip exactly) without a vocabulary file.
 */
export const charTokenizer = {
  encode(text: string): number[] {
    return Array.from({ length: text.length }, (_, i) => text.charCodeAt(i));
  },
  decode(ids: readonly number[]): string {
    return String.fromCharCode(...ids);
  },
} as const;
