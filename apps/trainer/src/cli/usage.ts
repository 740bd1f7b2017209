import { REPRO_METHODS } from "../repro/repro-methods";

export const USAGE = `hdpo-train: SFT cold start, HDPO RL and a before/after evaluation on the embedded task suite.

Usage:
  hdpo-train run [--preset quick|default] [--config FILE.json] [--out DIR] [options]
  hdpo-train repro [--preset quick|default] [--config FILE.json] [--seeds 0,1,2] [--methods a,b] [options]

Options:
  --preset NAME          quick (the main job, under 10 minutes on a 2-core laptop) or default (longer)
  --config FILE.json     settings over the preset (the schema is in docs/trainer.md; JSON only)
  --out DIR              the run directory (default runs/<preset>-<date>-<time>)
  --seed N               seed of the suite, the cold start, the batches and the samples
  --backend NAME         wasm (default), cpu, tensorflow, tensorflow-gpu (or HDPO_BACKEND)
  --sft-steps N          SFT optimiser steps
  --rl-steps N           HDPO steps
  --batch-prompts N      B, prompts per HDPO step
  --group-size N         G, rollouts per prompt
  --checkpoint-every N   checkpoint (and refresh report.html) every N steps
  --set PATH=JSON        any field, e.g. --set rl.wTool=0.2 --set model.layers=3 (repeatable)
  --from-sft RUN_DIR     skip the cold start and SFT: start HDPO from that run's SFT policy (same seed, suite,
                         model, tokenizer and sft settings; only RL settings may differ)
  --resume               continue the run in --out from its latest checkpoint
  --quiet                no progress output (errors and the final table still print)
  -h, --help             this text

Outputs in DIR: summary.json, report.html, plots/*.png, metrics.jsonl, config.json, data/ (the suite as
Parquet and JSONL), sft/ and final/ (policies in the Hugging Face layout: pnpm serve --checkpoint DIR/final),
checkpoints/ (for --resume).

The reproduction study (repro): for each seed, every method from one shared SFT policy with the same RL steps,
then mean ± std over seeds, the paper's four claims tested, a markdown page with PNG figures.
  --seeds LIST           seeds, comma-separated (default 0,1,2)
  --methods LIST         methods in run order (default all; the first of a seed trains its SFT policy):
                         ${REPRO_METHODS.map((m) => m.name).join(", ")}
  --rl-steps N           HDPO steps of every run
  --out DIR              the study's folder, DIR/seed-<s>/<method> per run (default runs/repro-<preset>)
  --doc PATH             the page (default docs/reproduction.md; figures in docs/reproduction/)
  --preset, --config, --backend, --set, --quiet as for run. Running the same command again resumes the study;
  it writes DIR/reproduction.json with the numbers and verdicts.
`;
