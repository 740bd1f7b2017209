import { z } from "zod";

/** The rubric's criteria, as the judge names them in its JSON reply. */
export const RUBRIC_CRITERIA = ["visual_relevance", "reasoning_coherence", "tool_use_rationale"] as const;
export type RubricCriterion = (typeof RUBRIC_CRITERIA)[number];

export const RUBRIC_SYSTEM_PROMPT = [
  "You are a strict reviewer of training data for a multimodal agent that may call tools (python, search).",
  "Score the sample on three criteria, each an integer from 1 (very poor) to 5 (excellent):",
  "- visual_relevance: the question genuinely depends on the image(s) and the reasoning uses what they show (score 5 for text-only samples whose reasoning needs no image).",
  "- reasoning_coherence: the reasoning is correct, consistent, and leads to the final answer.",
  "- tool_use_rationale: each tool call is needed and purposeful, and its output is used; no tool call when none is needed also scores 5.",
  'Reply with ONE JSON object and nothing else: {"visual_relevance": n, "reasoning_coherence": n, "tool_use_rationale": n, "reason": "one short sentence"}',
].join("\n");

const score = z.number().int().min(1).max(5);
const RubricReplySchema = z.object({
  visual_relevance: score,
  reasoning_coherence: score,
  tool_use_rationale: score,
  reason: z.string().min(1),
});
export type RubricScores = z.infer<typeof RubricReplySchema>;

/**
 * The judge's JSON reply (a ```json fence or text around one object is tolerated), or why it is malformed: a
 * malformed reply is an error, never a score.
 */
export function parseRubricReply(text: string): RubricScores | { error: string } {
  const start = text.indexOf("{");
  const end = text.lastIndexOf("}");
  if (start < 0 || end <= start) return { error: `no JSON object in the judge's reply: ${clip(text)}` };
  let value: unknown;
  try {
    value = JSON.parse(text.slice(start, end + 1));
  } catch (error) {
    return { error: `the judge's reply is not valid JSON (${(error as Error).message}): ${clip(text)}` };
  }
  const parsed = RubricReplySchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      error: `the judge's JSON is not the rubric (${issue?.path.join(".") ?? ""}: ${issue?.message ?? "invalid"}): ${clip(text)}`,
    };
  }
  return { ...parsed.data, reason: parsed.data.reason.slice(0, 300) };
}

function clip(text: string): string {
  return text.length > 160 ? `${text.slice(0, 157)}...` : text;
}
