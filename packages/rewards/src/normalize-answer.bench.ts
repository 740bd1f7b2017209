import { bench, describe } from "vitest";
import { normalizeAnswer } from "./normalize-answer";

const typical = "  $\\boxed{\\text{1,234,567}}$ ";
// Inputs that make a naive brace scan quadratic: every command unclosed, or every command nested.
const unclosed = "\\boxed{".repeat(2000);
const nested = `${"\\boxed{".repeat(2000)}5${"}".repeat(2000)}`;

describe("normalizeAnswer", () => {
  bench("a typical boxed answer", () => {
    normalizeAnswer(typical);
  });

  bench(`${unclosed.length} characters of unclosed \\boxed{`, () => {
    normalizeAnswer(unclosed);
  });

  bench(`${nested.length} characters of nested \\boxed{…}`, () => {
    normalizeAnswer(nested);
  });
});
