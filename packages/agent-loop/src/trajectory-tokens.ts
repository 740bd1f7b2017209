import type { TrajectoryTokens } from "@hdpo/core";

/**
 * Collects the token-level record of a response: model tokens (loss mask 1, their sampling log-probs) and, when the
 * caller can encode observations, observation tokens (mask 0, log-prob 0, as the reference's `mask_observations`).
 * The record is complete only when every model turn came with matching `tokenIds`/`logProbs` and every observation
 * could be encoded; otherwise `build()` gives undefined rather than a record with holes.
 */
export class TrajectoryTokensBuilder {
  private readonly ids: number[] = [];
  private readonly logProbs: number[] = [];
  private readonly lossMask: (0 | 1)[] = [];
  private complete = true;

  /** Appends a model turn's tokens, or marks the record incomplete when the policy gave none. */
  addModelTurn(tokenIds: readonly number[] | undefined, logProbs: readonly number[] | undefined): void {
    if (tokenIds === undefined || logProbs === undefined || tokenIds.length !== logProbs.length) {
      this.complete = false;
      return;
    }
    for (let i = 0; i < tokenIds.length; i++) {
      this.ids.push(tokenIds[i] as number);
      this.logProbs.push(logProbs[i] as number);
      this.lossMask.push(1);
    }
  }

  /** Appends observation tokens, or marks the record incomplete when they could not be encoded. */
  addObservation(tokenIds: readonly number[] | undefined): void {
    if (tokenIds === undefined) {
      this.complete = false;
      return;
    }
    for (const id of tokenIds) {
      this.ids.push(id);
      this.logProbs.push(0);
      this.lossMask.push(0);
    }
  }

  /** The prompt followed by every token recorded so far, or undefined once the record is incomplete. */
  conversationIds(promptIds: readonly number[]): number[] | undefined {
    return this.complete ? [...promptIds, ...this.ids] : undefined;
  }

  /** The record, or undefined when some turn lacked token data. */
  build(promptIds: readonly number[]): TrajectoryTokens | undefined {
    if (!this.complete) return undefined;
    return {
      promptIds: [...promptIds],
      ids: [...this.ids],
      logProbs: [...this.logProbs],
      lossMask: [...this.lossMask],
    };
  }
}
