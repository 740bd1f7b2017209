import type { FinishReason, ToolNecessity, Verdict } from "@hdpo/core";
import { z } from "zod";

/**
 * One finished item as written to `predictions.jsonl`: what the model answered, how it was judged, and what it
 * cost. Plain data; every metric in summary.json is a pure function of a list of these.
 */
export const PredictionSchema = z.object({
  id: z.string().min(1),
  category: z.string().optional(),
  toolNecessity: z.enum(["required", "unnecessary", "unknown"]).optional(),
  question: z.string(),
  groundTruth: z.union([z.string(), z.array(z.string())]),
  /** The model's `<answer>` (empty when it gave none). */
  prediction: z.string(),
  /** The whole response: model text and observations, in order. */
  response: z.string(),
  verdict: z.object({
    status: z.enum(["ok", "error"]),
    score: z.number(),
    correct: z.boolean(),
    decidedBy: z.enum(["rule", "llm", "none"]),
    rule: z.string().optional(),
    cached: z.boolean().optional(),
    cause: z.string().optional(),
  }),
  /** Whether the item counts toward accuracy under the judge error policy, and with what score. */
  included: z.boolean(),
  score: z.number().min(0).max(1),
  toolCalls: z.number().int().nonnegative(),
  toolCallsByName: z.record(z.string(), z.number().int().nonnegative()),
  invalidToolCalls: z.number().int().nonnegative(),
  finishReason: z.enum(["answer", "max_tokens", "max_turns", "tool_done", "error"]),
  error: z.string().optional(),
  timings: z.object({
    /** Rollout and judgement together. */
    totalMs: z.number().nonnegative(),
    modelMs: z.number().nonnegative(),
    toolMs: z.number().nonnegative(),
    judgeMs: z.number().nonnegative(),
  }),
  tokens: z
    .object({
      prompt: z.number().int().nonnegative(),
      completion: z.number().int().nonnegative(),
      observation: z.number().int().nonnegative(),
    })
    .optional(),
  finishedAt: z.string(),
});
export type Prediction = z.infer<typeof PredictionSchema>;

// The schema's literal unions must stay in step with core's.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _finishReasonsMatch: Same<Prediction["finishReason"], FinishReason> = true;
const _necessityMatches: Same<NonNullable<Prediction["toolNecessity"]>, ToolNecessity> = true;
const _decidedByMatches: Same<Prediction["verdict"]["decidedBy"], Verdict["decidedBy"]> = true;
void _finishReasonsMatch;
void _necessityMatches;
void _decidedByMatches;
