/** `hdpo-eval --help`. */
export const USAGE = `hdpo-eval: accuracy and tool-use rate of any model

Usage:
  hdpo-eval run --data FILE --base-url URL --out DIR [options]
  hdpo-eval compare RUN_DIR... [--out DIR]

run options:
  --data FILE            JSONL, Parquet (reference training schema) or VLMEvalKit TSV; auto-detected
  --base-url URL         the model's OpenAI-compatible endpoint, e.g. http://127.0.0.1:8000/v1
  --model M              model id (default: the first id of GET /models)
  --api-key K            model API key (default: $OPENAI_API_KEY, else "EMPTY")
  --tools T              local (in-process @hdpo/tools, default) | none | a tool server URL
  --judge J              rules (default) | an OpenAI-compatible judge base URL (rules first, the LLM for the rest)
  --judge-model M        judge model id (default: the first id of the judge's GET /models)
  --judge-api-key K      judge API key (default: $JUDGE_API_KEY, else "EMPTY")
  --judge-error-policy P exclude (default) | incorrect | fail: what a failed judgement counts as (a judge that
                         cannot be reached is never scored: see --max-infra-failures)
  --concurrency N        items in flight at most (default 16)
  --max-turns N          tool calls executed at most per item (default 10)
  --temperature T        sampling temperature (default 0)
  --max-tokens N         tokens per generation at most (default 4096)
  --limit N              evaluate only the first N items
  --native-tools         native OpenAI tool_calls instead of the <tool_call> text protocol
  --max-infra-failures N stop after N items in a row fail because the tool server, the model endpoint or the
                         judge failed (default 5); such items are never scored and run again on resume
  --out DIR              run folder: predictions.jsonl, summary.json, acc.csv, report.html, headline.png

A run resumes: items already in DIR/predictions.jsonl are skipped. Ctrl-C once stops starting new items and
lets running ones finish; twice abandons them (they run again next time). Nothing finished is lost.
An item that a failing service kept from finishing is not scored: summary.json counts it under notScored, the
run exits 1, and re-running the same command retries it.

compare options:
  --out DIR              where compare.md, compare.html and compare.png go (default: the current folder)
`;
