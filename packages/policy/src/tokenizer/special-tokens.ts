/** Qwen2's end-of-text token; also the padding token, as in Qwen2. */
export const END_OF_TEXT = "<|endoftext|>";
/** Opens a chat turn. */
export const IM_START = "<|im_start|>";
/** Closes a chat turn; the first end-of-sequence id. */
export const IM_END = "<|im_end|>";
/** Qwen2-VL's image placeholder tokens, emitted by the chat template for image parts. */
export const VISION_START = "<|vision_start|>";
export const IMAGE_PAD = "<|image_pad|>";
export const VISION_END = "<|vision_end|>";

/** Special tokens a trained tokenizer gets by default, in Qwen2's id order. */
export const DEFAULT_SPECIAL_TOKENS: readonly string[] = [
  END_OF_TEXT,
  IM_START,
  IM_END,
  VISION_START,
  VISION_END,
  IMAGE_PAD,
];

/**
 * The agent's turn tags. A trained tokenizer adds them as single, NON-special tokens: they stay one id each
 * (cheap to generate, stop strings land on token boundaries) yet decode as text even with
 * `skipSpecialTokens`, which the reward manager uses and which must still see them.
 */
export const AGENT_TAG_TOKENS: readonly string[] = [
  "<reason>",
  "</reason>",
  "<tool_call>",
  "</tool_call>",
  "<answer>",
  "</answer>",
];

/** End-of-sequence tokens, in the order Qwen2's generation config lists them. */
export const DEFAULT_EOS_TOKENS: readonly string[] = [IM_END, END_OF_TEXT];
