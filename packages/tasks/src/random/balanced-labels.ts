import type { SeededRandom } from "./seeded-random";

/**
 * The answers of closed-answer templates (yes/no, an option letter), dealt in shuffled rounds so that within a split
 * every label comes up equally often (±1). A policy that always gives the same answer then scores exactly chance on
 * them, so a change in accuracy measures what a policy learnt, not which label a split happened to favour (on 30
 * yes/no tasks drawn at random, a constant answer lands 2 tasks or more off chance on 58 % of splits).
 *
 * A draw the suite rejects (a repeated question, a template it does not want) gives its labels back, so only the
 * tasks kept count towards the balance.
 */
export class BalancedLabels {
  readonly #random: SeededRandom;
  readonly #rounds = new Map<string, string[]>();
  #taken: { key: string; label: string }[] = [];

  constructor(random: SeededRandom) {
    this.#random = random;
  }

  /** The next label for `key` (a template's name) from a round of `labels` in random order. */
  next<Label extends string>(key: string, labels: readonly Label[]): Label {
    let round = this.#rounds.get(key);
    if (round === undefined || round.length === 0) {
      round = this.#random.shuffle(labels);
      this.#rounds.set(key, round);
    }
    const label = round.pop()!;
    if (!labels.includes(label as Label)) {
      throw new RangeError(`BalancedLabels: key "${key}" was dealt other labels than ${labels.join(", ")}`);
    }
    this.#taken.push({ key, label });
    return label as Label;
  }

  /** The draw since the last `keep` or `giveBack` is kept: its labels count. */
  keep(): void {
    this.#taken = [];
  }

  /** The draw since the last `keep` or `giveBack` was rejected: its labels go back to their rounds. */
  giveBack(): void {
    for (const { key, label } of this.#taken.reverse()) this.#rounds.get(key)!.push(label);
    this.#taken = [];
  }
}
