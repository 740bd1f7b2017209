import { generateSuite } from "./suite/generate-suite";
import type { Suite, SuiteOptions } from "./suite/suite-types";

/**
 * A small suite for downstream tests (trainer, evaluator): every family, 4 / 2 / 2 tasks per split each by default,
 * generated in well under a second.
 */
export function tinySuite(seed: number | string = 1, options: Omit<SuiteOptions, "seed"> = {}): Suite {
  return generateSuite({ sizes: { train: 4, val: 2, test: 2 }, ...options, seed });
}
