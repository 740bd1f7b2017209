import type { Summary } from "@hdpo/evaluation";

/**
 * A VLMEvalKit-style `acc.csv`: a `split` column, `Overall`, then one column per category, accuracies as
 * fractions in [0, 1] (empty when a category has no scored item).
 */
export function accCsv(summary: Summary, split = "none"): string {
  const categories = Object.keys(summary.perCategory);
  const header = ["split", "Overall", ...categories].map(csvField).join(",");
  const values = [
    split,
    formatAccuracy(summary.accuracy),
    ...categories.map((c) => formatAccuracy(summary.perCategory[c]!.accuracy)),
  ];
  return `${header}\n${values.map(csvField).join(",")}\n`;
}

function formatAccuracy(value: number | null): string {
  return value === null ? "" : String(Number(value.toFixed(6)));
}

function csvField(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}
