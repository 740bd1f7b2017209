import { AgentLoopError, requirePositiveInt } from "./rollout-error";

/**
 * The response-token budget of one trajectory (metis-protocol.md §5): actions and observations draw from the same
 * `maxResponseTokens`, and each generation may use at most `maxActionTokens` of what is left.
 */
export class ResponseBudget {
  private usedTokens = 0;

  constructor(
    readonly maxResponseTokens: number,
    readonly maxActionTokens: number,
  ) {
    requirePositiveInt(maxResponseTokens, "maxResponseTokens");
    requirePositiveInt(maxActionTokens, "maxActionTokens");
  }

  /** Tokens spent so far by actions and observations together. */
  get used(): number {
    return this.usedTokens;
  }

  /** `maxTokens` for the next generation: min(maxActionTokens, maxResponseTokens − used); ≤ 0 means stop. */
  nextTurnMaxTokens(): number {
    return Math.min(this.maxActionTokens, this.maxResponseTokens - this.usedTokens);
  }

  /** Records `tokens` spent by an action or an observation. */
  spend(tokens: number): void {
    if (!Number.isFinite(tokens) || tokens < 0) {
      throw new AgentLoopError(
        `ResponseBudget.spend: tokens must be a finite non-negative number, got ${tokens}; check the token counter.`,
      );
    }
    this.usedTokens += tokens;
  }
}
