import { z } from "zod";

/**
 * A judge's decision on one prediction. A failed judgement is not an answer: `status: "error"` carries the
 * cause and the trainer's policy decides what to do with it (count as incorrect, exclude, or fail).
 */
export const VerdictSchema = z.object({
  status: z.enum(["ok", "error"]),
  /** The answer score in [0, 1]; 0 when status is "error". */
  score: z.number().min(0).max(1),
  correct: z.boolean(),
  /** Who decided: a rule verifier (with its name) or the LLM judge. */
  decidedBy: z.enum(["rule", "llm", "none"]),
  rule: z.string().optional(),
  cached: z.boolean().optional(),
  cause: z.string().optional(),
});
export type Verdict = z.infer<typeof VerdictSchema>;

/** Everything the rewards stage knows about one rollout, as plain numbers. */
export const RolloutScoreSchema = z.object({
  trajectoryId: z.string(),
  groupId: z.union([z.string(), z.number()]),
  answerScore: z.number().min(0).max(1),
  formatScore: z.number().min(0).max(1),
  correct: z.boolean(),
  /** r_acc = 0.9·answerScore + 0.1·formatScore */
  accuracyReward: z.number(),
  toolCalls: z.number().int().nonnegative(),
  /** r_tool = 1/(T+1) when correct, else 0 */
  toolReward: z.number().min(0).max(1),
});
export type RolloutScore = z.infer<typeof RolloutScoreSchema>;
