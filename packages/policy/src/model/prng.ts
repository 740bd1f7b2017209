/**
 * A small seeded generator (mulberry32) so that weight init and sampling reproduce for a seed on every
 * backend: tfjs's own random ops depend on the backend and its state, ours depend only on the seed.
 */
export class Prng {
  private state: number;

  /** `seed` is any finite number; its low 32 bits (after truncation) pick the stream. */
  constructor(seed: number) {
    this.state = Math.trunc(seed) >>> 0;
  }

  /** A float in [0, 1) with 32 random bits. */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** A standard normal draw (Box-Muller; 1 − u keeps the log's argument in (0, 1]). */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
}

/**
 * A seed for stream `index` derived from `seed`, so that each generated row has its own stream and a row's
 * samples do not depend on which other rows share its batch or finish first.
 */
export function deriveSeed(seed: number, index: number): number {
  let h = (Math.trunc(seed) ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}
