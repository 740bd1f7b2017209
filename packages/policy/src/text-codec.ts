/**
 * What the model needs from a tokenizer to generate: the seam between `model/` and `tokenizer/`, so that
 * either can be used without the other.
 */
export interface TextCodec {
  encode(text: string): number[];
  /** Decodes ids to text; special tokens are kept unless `skipSpecialTokens`. */
  decode(ids: readonly number[], options?: { skipSpecialTokens?: boolean }): string;
  readonly vocabSize: number;
  /** Ids that end a sequence (e.g. `<|im_end|>`, `<|endoftext|>`). */
  readonly eosTokenIds: readonly number[];
  readonly padTokenId: number;
}
