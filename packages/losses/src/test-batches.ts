/**
 * Seeded random batches for the tests and the benchmark (not exported from the package). Log-ratios
 * stay `kinkMargin` away from every point where the loss has a kink (the clip bounds, the dual-clip cap,
 * the ±20 clamp), so that float32 and float64 agree on which side of a kink a token is, and finite
 * differences do not straddle one.
 */

/** A batch as plain float32-representable numbers, with advantages `[B]`. */
export interface RandomBatch {
  logProb: number[][];
  oldLogProb: number[][];
  mask: number[][];
  accuracyAdvantages: number[];
  toolAdvantages: number[];
}

/** Options of {@link randomBatch}. */
export interface RandomBatchOptions {
  /** Rows B. */
  rows: number;
  /** Columns L. */
  columns: number;
  /** Distance kept from every kink, in log-ratio units. Default 1e-3. */
  kinkMargin?: number;
  /** The clip settings whose kinks are avoided. Defaults 0.2, 0.2, 3. */
  clipLow?: number;
  clipHigh?: number;
  clipC?: number;
}

/** mulberry32: a small, fast, seedable PRNG returning floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A random batch that exercises every branch: ratios inside and beyond both clip bounds, negative
 * advantages past the dual-clip cap, log-ratios beyond ±20, masked tokens, a fully masked row, and tool
 * advantages that are 0 on some rows.
 */
export function randomBatch(seed: number, options: RandomBatchOptions): RandomBatch {
  const { rows, columns } = options;
  const margin = options.kinkMargin ?? 1e-3;
  const kinks = [
    Math.log(1 - (options.clipLow ?? 0.2)),
    Math.log(1 + (options.clipHigh ?? 0.2)),
    Math.log(options.clipC ?? 3),
    -20,
    20,
  ];
  const random = mulberry32(seed);
  const uniform = (low: number, high: number) => low + (high - low) * random();
  const logRatio = (): number => {
    for (;;) {
      const roll = random();
      const value = roll < 0.05 ? uniform(-30, 30) : roll < 0.15 ? uniform(-2.5, 2.5) : uniform(-0.5, 0.5);
      const rounded = Math.fround(value);
      if (kinks.every((kink) => Math.abs(rounded - kink) > margin)) return rounded;
    }
  };
  const fullyMaskedRow = rows > 2 ? Math.floor(random() * rows) : -1;
  const oldLogProb: number[][] = [];
  const logProb: number[][] = [];
  const mask: number[][] = [];
  for (let b = 0; b < rows; b++) {
    const oldRow = Array.from({ length: columns }, () => Math.fround(uniform(-4, 0)));
    oldLogProb.push(oldRow);
    // Subtracting in float32 must give back the log-ratio drawn, so build logProb in float32 steps.
    logProb.push(oldRow.map((old) => Math.fround(old + logRatio())));
    mask.push(Array.from({ length: columns }, () => (b === fullyMaskedRow || random() < 0.25 ? 0 : 1)));
  }
  const advantage = () => (random() < 0.15 ? 0 : Math.fround(uniform(-2.5, 2.5)));
  return {
    logProb,
    oldLogProb,
    mask,
    accuracyAdvantages: Array.from({ length: rows }, advantage),
    toolAdvantages: Array.from({ length: rows }, () => (random() < 0.4 ? 0 : advantage())),
  };
}

/**
 * The hand-computed case both loss test files hold their results to (clip 0.2/0.2, clipC 3, wAcc 1,
 * wTool 0.15), logProb = old + d:
 *   row 0: mask [1,1], d = [0, ln1.5], A_acc = 1,    A_tool = 0.7
 *   row 1: mask [1,0], d = [0, 5],     A_acc = −1,   A_tool = 0      (not in the tool mask)
 *   row 2: mask [1,1], d = [ln0.5, 0], A_acc = 0.5,  A_tool = −0.7
 *   row 3: mask [0,0], d = [0, 0],     A_acc = 2,    A_tool = 0
 * Accuracy channel, full mask (5 tokens):
 *   row 0: ratio 1 → −1 (grad −1); ratio 1.5 → pg2 −1.2 > pg1 −1.5 → −1.2 clipped (grad 0)
 *   row 1: ratio 1 → 1 (grad +1)
 *   row 2: ratio 0.5 → pg1 −0.25 > pg2 −0.4 → −0.25 (grad −0.5·0.5 = −0.25); ratio 1 → −0.5 (grad −0.5)
 *   Σ = −1.95 → L_acc = −0.39, clip fraction 1/5
 * Tool channel, rows 0 and 2 only (4 tokens):
 *   row 0: ratio 1 → −0.7 (grad −0.7); ratio 1.5 → pg2 −0.84 > pg1 −1.05 → −0.84 clipped (grad 0)
 *   row 2: ratio 0.5 → pg2 0.56 > pg1 0.35 → 0.56 clipped, below cap 2.1 (grad 0); ratio 1 → 0.7 (grad 0.7)
 *   Σ = −0.28 → L_tool = −0.07, clip fraction 2/4
 * L = −0.39 + 0.15·(−0.07) = −0.4005; ρ = 2/4.
 * Gradient = acc/5 + 0.15·tool/4:
 *   row 0: [−0.2 − 0.02625, 0], row 1: [0.2, 0], row 2: [−0.05, −0.1 + 0.02625], row 3: [0, 0].
 */
const HAND_OLD = [
  [-1, -2],
  [-0.5, -3],
  [-1.5, -0.25],
  [-2, -2],
];
const HAND_D = [
  [0, Math.log(1.5)],
  [0, 5],
  [Math.log(0.5), 0],
  [0, 0],
];
export const HAND_CASE: RandomBatch = {
  oldLogProb: HAND_OLD,
  logProb: HAND_OLD.map((row, b) => row.map((old, t) => old + HAND_D[b]![t]!)),
  mask: [
    [1, 1],
    [1, 0],
    [1, 1],
    [0, 0],
  ],
  accuracyAdvantages: [1, -1, 0.5, 2],
  toolAdvantages: [0.7, 0, -0.7, 0],
};

/**
 * d loss / d logProb[b][t] by central differences, one entry at a time: the oracle the analytic gradients
 * of the references are held to (away from the kinks of the clip, where it is not defined).
 */
export function centralDifferences(
  logProb: readonly (readonly number[])[],
  lossAt: (logProb: number[][]) => number,
  h = 1e-6,
): number[][] {
  return logProb.map((row, b) =>
    row.map((value, t) => {
      const shifted = (delta: number) =>
        lossAt(logProb.map((r, bb) => r.map((v, tt) => (bb === b && tt === t ? value + delta : v))));
      return (shifted(h) - shifted(-h)) / (2 * h);
    }),
  );
}

/** float32 agreement: relative to the value's size, with an absolute floor of `scale`. */
export function float32Tolerance(expected: number, scale = 1): number {
  return 2e-6 * Math.max(scale, Math.abs(expected));
}
