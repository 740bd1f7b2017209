/**
 * The reference judge's system prompt, in substance: an impartial evaluator that answers with one word.
 * The reference's exact wording is not public in our spec; these are its stated semantics.
 */
export const JUDGE_SYSTEM_PROMPT =
  "You are an impartial evaluator. Decide whether a model's prediction answers a question correctly, " +
  "judged against the ground truth. Reply with exactly one word: CORRECT or INCORRECT.";

/** What the judge is asked about. */
export interface JudgePromptInput {
  question: string;
  groundTruth: string;
  prediction: string;
}

/**
 * The user message: the criteria (complete and semantically equivalent to the ground truth; wording may
 * differ; partial, hallucinated or refused answers are incorrect), then the question, ground truth and
 * prediction.
 */
export function buildJudgePrompt({ question, groundTruth, prediction }: JudgePromptInput): string {
  return [
    "Evaluate the prediction against the ground truth.",
    "The prediction is CORRECT if it is complete and semantically equivalent to the ground truth; wording, " +
      "formatting and notation may differ.",
    "The prediction is INCORRECT if it is partial, contains hallucinated or contradicting content, refuses " +
      "to answer, or differs in meaning from the ground truth.",
    "",
    `Question: ${question}`,
    `Ground truth: ${groundTruth}`,
    `Prediction: ${prediction}`,
    "",
    "Reply with one word: CORRECT or INCORRECT.",
  ].join("\n");
}

/**
 * Reads the judge's reply as the reference does (trimmed, upper-cased), except that a reply that is neither
 * `CORRECT` nor `INCORRECT` is `undefined` (a failed judgement) rather than 0.
 */
export function parseJudgeReply(reply: string): boolean | undefined {
  const word = reply.trim().toUpperCase();
  if (word === "CORRECT") return true;
  if (word === "INCORRECT") return false;
  return undefined;
}
