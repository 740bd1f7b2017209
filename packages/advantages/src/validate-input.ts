import { AdvantagesError } from "./advantages-error";

/** Throws unless `values` is an array-like (a missing argument otherwise surfaces as a TypeError deep inside). */
export function requirePresent(name: string, values: ArrayLike<unknown> | undefined | null): void {
  if (values === undefined || values === null || typeof values.length !== "number") {
    throw new AdvantagesError(`${name} is missing; pass an array with one entry per rollout.`);
  }
}

/** Throws unless `values` has one entry per rollout; the message names both arrays and both lengths. */
export function requireLength(
  name: string,
  values: ArrayLike<unknown> | undefined | null,
  referenceName: string,
  expected: number,
): void {
  if (values === undefined || values === null || typeof values.length !== "number") {
    throw new AdvantagesError(
      `${name} is missing; pass one entry per rollout (${expected}, like ${referenceName}).`,
    );
  }
  if (values.length !== expected) {
    throw new AdvantagesError(
      `${name} has ${values.length} entries but ${referenceName} has ${expected}; ` +
        `pass one entry per rollout, in the same order.`,
    );
  }
}

/**
 * Copies `values` into a Float64Array, throwing at the first entry that is not a finite number.
 * The copy lets the kernels read one array type only.
 */
export function readFiniteValues(name: string, values: ArrayLike<number>): Float64Array {
  const n = values.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) {
      throw new AdvantagesError(
        `${name}[${i}] is ${describe(v)}; every entry must be a finite number — ` +
          `check how this rollout's reward was computed.`,
      );
    }
    out[i] = v;
  }
  return out;
}

/** A per-rollout yes/no: a boolean, or 1/0 as in the `Uint8Array` that `@hdpo/rewards`' rolloutRewards returns. */
export type Flag = boolean | 0 | 1 | number;

/** Reads a per-rollout boolean array into 0/1 bytes, rejecting anything that is not `true` or `false`. */
export function readFlags(name: string, values: ArrayLike<Flag>): Uint8Array {
  const n = values.length;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    // Branch-free on purpose: these flags are close to random (see read-hdpo-rollouts.ts).
    const bit = Number(v === true || v === 1);
    if (bit + Number(v === false || v === 0) !== 1) {
      throw new AdvantagesError(
        `${name}[${i}] is ${describe(v)}; every entry must be true/false or 1/0 (e.g. a Uint8Array).`,
      );
    }
    out[i] = bit;
  }
  return out;
}

/** Reads per-rollout tool-call counts T, which must be non-negative integers. */
export function readToolCalls(name: string, values: ArrayLike<number>): Float64Array {
  const n = values.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (!Number.isInteger(v) || v < 0) throw badToolCalls(name, i, v);
    out[i] = v;
  }
  return out;
}

/** Checks tool-call counts like {@link readToolCalls} and returns only their batch summary (no copy). */
export function summariseToolCalls(
  name: string,
  values: ArrayLike<number>,
): { meanToolCalls: number; toolUseRate: number } {
  const n = values.length;
  let total = 0;
  let using = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (!Number.isInteger(v) || v < 0) throw badToolCalls(name, i, v);
    total += v;
    using += Number(v > 0);
  }
  return { meanToolCalls: total / n, toolUseRate: using / n };
}

/** A short, unambiguous rendering of a bad value for an error message. */
export function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") {
    return `${String(value)} (${typeof value})`;
  }
  if (value === undefined || value === null) return String(value);
  return `a value of type ${typeof value}`;
}

function badToolCalls(name: string, index: number, value: unknown): AdvantagesError {
  return new AdvantagesError(
    `${name}[${index}] is ${describe(value)}; T counts the tool requests a rollout sent, ` +
      `so it must be a non-negative integer.`,
  );
}
