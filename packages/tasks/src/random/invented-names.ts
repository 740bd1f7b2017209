import type { SeededRandom } from "./seeded-random";

const ONSETS = [
  "b",
  "br",
  "d",
  "dr",
  "f",
  "g",
  "k",
  "kr",
  "l",
  "m",
  "n",
  "p",
  "r",
  "s",
  "t",
  "th",
  "v",
  "z",
  "sh",
  "qu",
];
const VOWELS = ["a", "e", "i", "o", "u", "ae", "ou", "y"];
const CODAS = ["", "", "n", "r", "l", "s", "th", "m", "x", "nd", "rk"];

/**
 * Draws invented proper names (two or three syllables) that are unique within one generator: each name is a
 * word no model has seen as a fact's subject, so the facts attached to it cannot have been memorised.
 */
export class InventedNames {
  readonly #used = new Set<string>();

  constructor(private readonly random: SeededRandom) {}

  /** A new capitalised name, never returned before by this generator (case-insensitive). */
  next(): string {
    for (;;) {
      const syllables = this.random.int(2, 3);
      let word = "";
      for (let i = 0; i < syllables; i++) {
        word += this.random.pick(ONSETS) + this.random.pick(VOWELS);
        if (i === syllables - 1) word += this.random.pick(CODAS);
      }
      const key = word.toLowerCase();
      if (word.length < 5 || this.#used.has(key)) continue;
      this.#used.add(key);
      return word[0]!.toUpperCase() + word.slice(1);
    }
  }

  /** A first and last name. */
  person(): string {
    return `${this.next()} ${this.next()}`;
  }
}
