import { LossError } from "./losses-error";

/** A `[B, L]` matrix as plain numbers: B rows of L entries each (arrays or typed arrays). */
export type Matrix = ReadonlyArray<ArrayLike<number>>;

/** Per-rollout advantages, `[B]` (broadcast over the row) or `[B, L]` (per token). */
export type Advantages = ArrayLike<number> | Matrix;

/** A checked `[B, L]` batch in float64, advantages broadcast to `[B, L]`. */
export interface CheckedMatrices {
  readonly rows: number;
  readonly columns: number;
  readonly logProb: readonly Float64Array[];
  readonly oldLogProb: readonly Float64Array[];
  readonly mask: readonly Float64Array[];
}

/**
 * Checks the per-token inputs of a reference function: equal `[B, L]` shapes with B, L ≥ 1, finite
 * values (masked positions included), a mask of 0s and 1s; and copies them into float64 rows.
 *
 * @throws LossError naming the function, the input and the shapes or the offending entry.
 */
export function checkTokenMatrices(
  fn: string,
  logProb: Matrix,
  oldLogProb: Matrix,
  mask: Matrix,
): CheckedMatrices {
  const rows = rowCount(fn, "logProb", logProb);
  if (rows === 0) throw new LossError(`${fn}: logProb has no rows; the batch must have B ≥ 1 rows.`);
  const columns = rowLength(fn, "logProb", logProb, 0);
  if (columns === 0) throw new LossError(`${fn}: logProb has no columns; responses must have L ≥ 1 tokens.`);
  const checked = {
    rows,
    columns,
    logProb: copyMatrix(fn, "logProb", logProb, rows, columns),
    oldLogProb: copyMatrix(fn, "oldLogProb", oldLogProb, rows, columns),
    mask: copyMatrix(fn, "mask", mask, rows, columns),
  };
  checked.mask.forEach((row, b) => {
    row.forEach((value, t) => {
      if (value !== 0 && value !== 1) {
        throw new LossError(`${fn}: mask[${b}][${t}] is ${value}; the mask must hold only 0 and 1.`);
      }
    });
  });
  return checked;
}

/**
 * Checks advantages against a `[B, L]` batch and broadcasts them to `[B, L]` float64 rows.
 *
 * @throws LossError when they are neither `[B]` nor `[B, L]` or hold a non-finite value.
 */
export function broadcastAdvantages(
  fn: string,
  name: string,
  advantages: Advantages,
  rows: number,
  columns: number,
): Float64Array[] {
  const length = rowCount(fn, name, advantages);
  if (length !== rows) {
    throw new LossError(
      `${fn}: ${name} has ${length} entries but logProb has B = ${rows} rows; give [B] or [B, L].`,
    );
  }
  const first: unknown = advantages[0];
  if (typeof first === "number") {
    return Array.from({ length: rows }, (_, b) => {
      const value = (advantages as ArrayLike<number>)[b];
      if (typeof value !== "number" || !Number.isFinite(value)) {
        throw new LossError(`${fn}: ${name}[${b}] is ${String(value)}; advantages must be finite numbers.`);
      }
      return new Float64Array(columns).fill(value);
    });
  }
  return copyMatrix(fn, name, advantages as Matrix, rows, columns);
}

function rowCount(fn: string, name: string, value: unknown): number {
  if (
    typeof value !== "object" ||
    value === null ||
    typeof (value as ArrayLike<unknown>).length !== "number"
  ) {
    throw new LossError(`${fn}: ${name} must be an array (of rows), got ${String(value)}.`);
  }
  return (value as ArrayLike<unknown>).length;
}

function rowLength(fn: string, name: string, matrix: Matrix, b: number): number {
  const row: unknown = matrix[b];
  if (typeof row !== "object" || row === null || typeof (row as ArrayLike<unknown>).length !== "number") {
    throw new LossError(
      `${fn}: ${name}[${b}] must be an array of numbers (a row of [B, L]), got ${String(row)}.`,
    );
  }
  return (row as ArrayLike<unknown>).length;
}

function copyMatrix(fn: string, name: string, matrix: Matrix, rows: number, columns: number): Float64Array[] {
  const actualRows = rowCount(fn, name, matrix);
  if (actualRows !== rows) {
    throw new LossError(
      `${fn}: ${name} has ${actualRows} rows but logProb has ${rows}; both must be [B, L].`,
    );
  }
  return Array.from({ length: rows }, (_, b) => {
    const length = rowLength(fn, name, matrix, b);
    if (length !== columns) {
      throw new LossError(
        `${fn}: ${name}[${b}] has ${length} entries but logProb has L = ${columns} columns; every row must have L.`,
      );
    }
    const row = new Float64Array(columns);
    for (let t = 0; t < columns; t++) {
      const value = matrix[b]![t];
      if (typeof value !== "number" || !Number.isFinite(value)) {
        throw new LossError(
          `${fn}: ${name}[${b}][${t}] is ${String(value)}; values must be finite (masked positions too: put 0 there).`,
        );
      }
      row[t] = value;
    }
    return row;
  });
}
