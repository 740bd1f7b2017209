/**
 * What a rule verifier concluded: the prediction matches the ground truth, it does not, or the rule cannot
 * tell (the ground truth is not of the rule's kind, or the prediction is not in a form the rule reads).
 */
export type RuleOutcome = "match" | "mismatch" | "undecided";
