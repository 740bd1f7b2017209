import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InventedNames } from "./invented-names";
import { SeededRandom } from "./seeded-random";

function draws(random: SeededRandom, count: number): number[] {
  return Array.from({ length: count }, () => random.next());
}

describe("SeededRandom", () => {
  it("repeats its stream for a seed and changes it with the seed", () => {
    expect(draws(new SeededRandom(7), 50)).toEqual(draws(new SeededRandom(7), 50));
    expect(draws(new SeededRandom("7"), 50)).toEqual(draws(new SeededRandom(7), 50));
    expect(draws(new SeededRandom(8), 50)).not.toEqual(draws(new SeededRandom(7), 50));
  });

  it("draws integers within bounds, both ends reachable", () => {
    fc.assert(
      fc.property(
        fc.integer(),
        fc.integer({ min: -1000, max: 1000 }),
        fc.integer({ min: 0, max: 20 }),
        (seed, min, span) => {
          const random = new SeededRandom(seed);
          const values = Array.from({ length: 200 }, () => random.int(min, min + span));
          expect(values.every((v) => Number.isInteger(v) && v >= min && v <= min + span)).toBe(true);
        },
      ),
      { numRuns: 50 },
    );
    const random = new SeededRandom(1);
    const seen = new Set(Array.from({ length: 500 }, () => random.int(0, 3)));
    expect([...seen].sort()).toEqual([0, 1, 2, 3]);
  });

  it("draws numbers of exactly the asked number of digits", () => {
    const random = new SeededRandom(3);
    for (let i = 0; i < 200; i++) expect(String(random.digits(6))).toHaveLength(6);
  });

  it("shuffles into a permutation, and forks independent, reproducible streams", () => {
    const random = new SeededRandom(5);
    const items = Array.from({ length: 30 }, (_, i) => i);
    const shuffled = random.shuffle(items);
    expect([...shuffled].sort((a, b) => a - b)).toEqual(items);
    expect(shuffled).not.toEqual(items);
    expect(draws(new SeededRandom(5).fork("a"), 10)).toEqual(draws(new SeededRandom(5).fork("a"), 10));
    expect(draws(new SeededRandom(5).fork("a"), 10)).not.toEqual(draws(new SeededRandom(5).fork("b"), 10));
  });
});

describe("InventedNames", () => {
  it("never repeats a name", () => {
    const names = new InventedNames(new SeededRandom(2));
    const drawn = Array.from({ length: 2000 }, () => names.next().toLowerCase());
    expect(new Set(drawn).size).toBe(drawn.length);
    expect(drawn.every((name) => /^[a-z]{5,}$/.test(name))).toBe(true);
  });
});
