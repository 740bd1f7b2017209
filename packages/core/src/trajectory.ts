import { z } from "zod";
import { ToolCallSchema } from "./tool-call";

export const AssistantTurnSchema = z.object({
  role: z.literal("assistant"),
  text: z.string(),
  /** Set when the turn asked for a tool (valid or not); absent for a final answer. */
  toolCall: ToolCallSchema.optional(),
  finishReason: z.enum(["stop", "length", "tool-call"]),
});
export const ObservationTurnSchema = z.object({
  role: z.literal("observation"),
  text: z.string(),
  images: z.array(z.string()).optional(),
  valid: z.boolean(),
  toolName: z.string().optional(),
  metrics: z.record(z.string(), z.union([z.number(), z.boolean(), z.string()])).optional(),
});
/** One step of a rollout: what the model wrote, or what a tool answered. */
export const TurnSchema = z.discriminatedUnion("role", [AssistantTurnSchema, ObservationTurnSchema]);
export type AssistantTurn = z.infer<typeof AssistantTurnSchema>;
export type ObservationTurn = z.infer<typeof ObservationTurnSchema>;
export type Turn = z.infer<typeof TurnSchema>;

/** Why a rollout stopped (metis-protocol.md §5). */
export const FinishReasonSchema = z.enum([
  "answer", // the model ended its turn without a tool call (EOS)
  "max_tokens", // the response-token budget (actions and observations together) ran out
  "max_turns", // a tool call at the last turn, which is not executed
  "tool_done", // a tool answered done = true, or its transport failed after the retries (as the reference)
  "error", // the policy or the loop failed; `error` holds the cause
]);
export type FinishReason = z.infer<typeof FinishReasonSchema>;

const nonNegativeInt = z.number().int().nonnegative();

/**
 * Token-level record for training: `ids` cover the whole response (model tokens and observation tokens),
 * `logProbs` are the sampling log-probs (0 on observation tokens), `lossMask` is 1 on model tokens, 0 elsewhere.
 */
export const TrajectoryTokensSchema = z
  .object({
    promptIds: z.array(nonNegativeInt),
    ids: z.array(nonNegativeInt),
    logProbs: z.array(z.number()),
    lossMask: z.array(z.union([z.literal(0), z.literal(1)])),
  })
  .refine((t) => t.ids.length === t.logProbs.length && t.ids.length === t.lossMask.length, {
    message: "tokens.ids, tokens.logProbs and tokens.lossMask must have the same length",
  });
export type TrajectoryTokens = z.infer<typeof TrajectoryTokensSchema>;

/** One rollout of a task: the unit that gets a reward. */
export const TrajectorySchema = z.object({
  id: z.string().min(1),
  taskId: z.string().min(1),
  /** The GRPO group: rollouts of the same prompt share it. */
  groupId: z.union([z.string(), z.number()]),
  /** 0 … G−1 within the group. */
  rolloutIndex: nonNegativeInt,
  turns: z.array(TurnSchema),
  /** The whole response as the reward manager decodes it: model text and observation text, in order. */
  finalText: z.string(),
  /** First `<answer>…</answer>`, trimmed; absent when there is none. */
  answer: z.string().optional(),
  /** T: every tool request sent, valid or not (metis-protocol.md §5). */
  toolCalls: nonNegativeInt,
  toolCallsByName: z.record(z.string(), nonNegativeInt),
  invalidToolCalls: nonNegativeInt,
  finishReason: FinishReasonSchema,
  /** The cause, when finishReason is "error" (or a tool transport failure ended the rollout). */
  error: z.string().optional(),
  timings: z.object({
    startedAt: z.string(),
    totalMs: z.number().nonnegative(),
    generationMs: z.number().nonnegative(),
    toolMs: z.number().nonnegative(),
  }),
  usage: z
    .object({
      promptTokens: nonNegativeInt,
      completionTokens: nonNegativeInt,
      observationTokens: nonNegativeInt,
    })
    .optional(),
  tokens: TrajectoryTokensSchema.optional(),
});
export type Trajectory = z.infer<typeof TrajectorySchema>;
