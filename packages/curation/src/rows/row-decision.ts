/** Numbers and short texts a stage attaches to a kept row (pass rate, judge scores…): written into the output. */
export type Annotations = Record<string, number | string | boolean | Record<string, number | string>>;

/** What one stage decided about one row. */
export type StageDecision =
  | { keep: true; annotations?: Annotations }
  /** `reason` is a short stable code (counted in the report); `detail` says what exactly. */
  | { keep: false; reason: string; detail: string; annotations?: Annotations }
  /** The stage could not decide (endpoint down, malformed judge reply): never a score. */
  | { keep: false; error: true; reason: string; detail: string; annotations?: Annotations };

/** The final decision on a row, as journaled. */
export interface RowDecision {
  index: number;
  id: string;
  decision: "keep" | "reject" | "error";
  /** The stage that rejected it (or failed), absent when kept. */
  stage?: string;
  reason?: string;
  detail?: string;
  /** Everything the stages recorded, kept or not (pass rates of rejected rows feed the histograms too). */
  annotations?: Annotations;
}
