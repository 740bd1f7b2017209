import { z } from "zod";
import type { Message } from "./message";
import type { ToolCall } from "./tool-call";

export const SamplingParamsSchema = z.object({
  temperature: z.number().nonnegative().default(1),
  topP: z.number().gt(0).max(1).default(1),
  maxTokens: z.number().int().positive(),
  stop: z.array(z.string()).optional(),
  seed: z.number().int().optional(),
});
export type SamplingParams = z.input<typeof SamplingParamsSchema>;

/** The next assistant turn a policy produced. Token data is present when the policy can give it. */
export interface PolicyTurn {
  text: string;
  /** "stop": EOS or a stop string (kept in `text`); "length": `maxTokens` reached. */
  finishReason: "stop" | "length" | "tool-call";
  /** Native OpenAI-style tool calls, for policies that use them instead of the text protocol. */
  toolCalls?: ToolCall[];
  tokenIds?: number[];
  /** Sampling log-prob of each token in `tokenIds`. */
  logProbs?: number[];
}

export interface PolicyRequest {
  messages: Message[];
  sampling: SamplingParams;
  /** Tool schemas for policies that call tools natively (OpenAI function-tool format). */
  tools?: unknown[];
  signal?: AbortSignal;
  /**
   * Requests that share a key (the agent loop passes the trajectory id) should go to the same model replica,
   * so that its prefix cache is reused; policies with one endpoint ignore it.
   */
  affinityKey?: string;
  /**
   * The exact token ids of the conversation so far (prompt, sampled turns, observations), when the caller records
   * them. A token-level policy continues from these instead of re-encoding `messages`: a sampled turn need not be
   * the canonical tokenization of its text, and training must see exactly the tokens sampling conditioned on
   * (verl-tool concatenates at the token level for the same reason). Text-level policies ignore it.
   */
  promptTokenIds?: number[];
}

/**
 * The seam between the agent loop and a model: implemented by remote endpoints and by the in-process policy,
 * so that neither side imports the other.
 */
export interface Policy {
  readonly name: string;
  generate(request: PolicyRequest): Promise<PolicyTurn>;
}
