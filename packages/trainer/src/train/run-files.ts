import { join } from "node:path";

/** The files and folders of a run directory. */
export function runFiles(out: string) {
  return {
    config: join(out, "config.json"),
    data: join(out, "data"),
    /** The starting policy (tokenizer and initial weights, Hugging Face layout): what a learner loads first. */
    base: join(out, "base"),
    metrics: join(out, "metrics.jsonl"),
    report: join(out, "report.html"),
    plots: join(out, "plots"),
    checkpoints: join(out, "checkpoints"),
    sftPolicy: join(out, "sft"),
    finalPolicy: join(out, "final"),
    summary: join(out, "summary.json"),
    /** One JSONL per evaluated policy (`sft.jsonl`, `hdpo.jsonl`): every test rollout with its verdict. */
    evalRollouts: join(out, "eval"),
  };
}
export type RunFiles = ReturnType<typeof runFiles>;
