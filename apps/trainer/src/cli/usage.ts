import { REPRO_METHODS } from "../repro/repro-methods";

export const USAGE = `hdpo-train: SFT cold start, HDPO RL and a before/after evaluation on the embedded task suite.

Usage:
  hdpo-train run [--preset quick|default] [--config FILE] [--out DIR] [options]
  hdpo-train suite [--preset quick|default] [--config FILE] [--out DIR] [--set PATH=JSON]
  hdpo-train repro [--preset quick|default] [--config FILE] [--seeds 0,1,2] [--methods a,b] [options]

Options:
  --preset NAME          quick (the main job, under 10 minutes on a 2-core laptop) or default (longer)
  --config FILE          settings over the preset, YAML (.yaml, .yml) or JSON (the schema is in docs/trainer.md)
  --out DIR              the run directory (default runs/<preset>-<date>-<time>)
  --seed N               seed of the suite, the cold start, the batches and the samples
  --backend NAME         wasm (default), cpu, tensorflow, tensorflow-gpu (or HDPO_BACKEND)
  --sft-steps N          SFT optimiser steps
  --rl-steps N           HDPO steps
  --batch-prompts N      B, prompts per HDPO step
  --group-size N         G, rollouts per prompt
  --checkpoint-every N   checkpoint (and refresh report.html) every N steps
  --set PATH=JSON        any field, e.g. --set rl.wTool=0.2 --set model.layers=3 (repeatable; null = default)
  --learner URL          train on a Tinker-API server (SkyRL, hdpo-learner; HDPO_TRAIN_LEARNER__URL) instead of
                         in process; its key from TINKER_API_KEY, never written to DIR (docs/distributed.md)
  --base-model ID        the model the server trains (must be one it serves); required with --learner
  --tokenizer DIR        the base model's folder with tokenizer.json (a pretrained base); without it the run
                         trains its own starting policy and the server must serve it (hdpo-learner --preset)
  --lora-rank N          LoRA rank on the server; 0 (default) trains every parameter
  --sampler-endpoint URL sample rollouts and evaluations from an OpenAI-compatible server (vLLM) serving the
                         policy, with exact token ids (repeat for replicas; key from SAMPLER_API_KEY)
  --sampler-model M      the sampler endpoints' model (default: the first their /models lists)
  --tool-server URL      tools from a tool server (REMOTE_TOOL_SERVER_URL) instead of in-process ones; repeat
                         for replicas (a trajectory stays on one); for search tasks it must serve the suite's
                         corpus (see hdpo-train suite)
  --judge rules|URL      rules (default), or an OpenAI-compatible LLM judge for what the rules cannot decide
                         (JUDGE_BASE_URL; key from JUDGE_API_KEY)
  --judge-model M        the LLM judge's model (default: the first its /models lists)
  --from-sft RUN_DIR     skip the cold start and SFT: start HDPO from that run's SFT policy (same seed, suite,
                         model, tokenizer and sft settings; only RL settings may differ)
  --resume               continue the run in --out from its latest checkpoint
  --quiet                no progress output (errors and the final table still print)
  -h, --help             this text

Settings, lowest precedence first: the preset, the file, the environment (HDPO_BACKEND, REMOTE_TOOL_SERVER_URL,
JUDGE_BASE_URL, and HDPO_TRAIN_<PATH> for any field: HDPO_TRAIN_RL__W_TOOL=0.2 sets rl.wTool), the flags.

Outputs in DIR: summary.json, report.html, plots/*.png, metrics.jsonl, config.json, data/ (the suite as
Parquet and JSONL), sft/ and final/ (policies in the Hugging Face layout: pnpm serve --checkpoint DIR/final),
checkpoints/ (for --resume).

The suite alone (suite): writes DIR/data as a run with the same settings would, and prints the command that
serves its search corpus from a tool server for --tool-server.

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
