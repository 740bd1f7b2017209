/**
 * A token matched whole in the raw text before pre-tokenization and never split by BPE. `special` tokens can be
 * skipped when decoding and are only matched when `allowSpecial`; non-special ones are always matched and
 * always decoded.
 */
export interface AddedToken {
  id: number;
  content: string;
  special: boolean;
  /** Kept for the `tokenizer.json` round trip; matching always runs on the raw text (see the README). */
  normalized?: boolean;
}
