/**
 * Whether `answer` appears in `text` as a whole token (not inside a longer number or word): the trivial rule by
 * which a tool-unnecessary task is answerable from its prompt, and which a tool-required task must fail.
 */
export function answerInText(answer: string, text: string): boolean {
  const escaped = answer.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`(^|[^\\p{L}\\p{N}])${escaped}($|[^\\p{L}\\p{N}])`, "iu").test(text);
}

/** Whether `answer` occurs anywhere in `text`, even inside a longer number or word (case-insensitive). */
export function answerSubstringOf(answer: string, text: string): boolean {
  return text.toLowerCase().includes(answer.toLowerCase());
}
