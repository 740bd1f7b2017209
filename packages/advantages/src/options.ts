import { AdvantagesError } from "./advantages-error";

/** Options shared by every advantage function. */
export interface AdvantageOptions {
  /**
   * Added to the group's standard deviation (not its variance) before dividing. Must be finite and > 0.
   * Default 1e-6, as in the reference.
   */
  readonly epsilon?: number;
  /**
   * Divide by (std + ε). Default true. When false the advantage is the centred reward `r − mean`
   * (and a size-1 GRPO group keeps its raw reward, since its mean is taken as 0).
   */
  readonly normalizeByStd?: boolean;
}

/** The options with defaults filled in and checked. */
export interface ResolvedAdvantageOptions {
  readonly epsilon: number;
  readonly normalizeByStd: boolean;
}

/** Fills in the defaults (ε = 1e-6, normalise by std) and rejects values that would give NaN or ±∞. */
export function resolveAdvantageOptions(options: AdvantageOptions = {}): ResolvedAdvantageOptions {
  const { epsilon = 1e-6, normalizeByStd = true } = options;
  if (typeof epsilon !== "number" || !Number.isFinite(epsilon) || epsilon <= 0) {
    throw new AdvantagesError(
      `epsilon must be a finite number > 0 (it keeps (r − mean)/(std + ε) finite when a group's std is 0), ` +
        `got ${String(epsilon)}; leave it out to use the reference's 1e-6.`,
    );
  }
  if (typeof normalizeByStd !== "boolean") {
    throw new AdvantagesError(
      `normalizeByStd must be true or false, got ${String(normalizeByStd)}; leave it out to divide by the std.`,
    );
  }
  return { epsilon, normalizeByStd };
}
