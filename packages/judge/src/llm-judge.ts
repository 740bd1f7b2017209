import OpenAI from "openai";
import { ConcurrencyLimiter } from "./concurrency-limiter";
import { judgeEndpointFromEnv } from "./judge-endpoint";
import { JudgeError } from "./judge-error";
import { buildJudgePrompt, JUDGE_SYSTEM_PROMPT, parseJudgeReply } from "./judge-prompt";
import { type LatencySummary, LatencyWindow } from "./latency-window";
import { errorVerdict, llmVerdict, ruleVerdict, type Verdict } from "./verdict";
import type { VerdictCache } from "./verdict-cache";

/** Options of {@link LlmJudge}; every field has the reference's default. */
export interface LlmJudgeOptions {
  /** Defaults to `JUDGE_BASE_URL`, else `http://localhost:8000/v1`. */
  baseURL?: string;
  /** Defaults to `JUDGE_API_KEY`, else `"EMPTY"`. */
  apiKey?: string;
  /** The judge model; defaults to the first id `GET /models` lists, asked once. */
  model?: string;
  /** Per-request timeout; default 30 000 ms. */
  timeoutMs?: number;
  /** Requests per judgement, the first included; default 2. */
  maxAttempts?: number;
  /** Wait before the 2nd attempt, doubled before each later one; default 1000 ms (the reference's 1 s). */
  retryDelayMs?: number;
  /** Requests in flight at once; default 8. */
  concurrency?: number;
  /** Verdicts to reuse and record; none by default. */
  cache?: VerdictCache;
}

/** One LLM judgement: a single ground truth. */
export interface LlmJudgeInput {
  question: string;
  groundTruth: string;
  prediction: string;
}

/**
 * Why a judgement failed: `timeout`, `connection` (refused, reset), `http-<status>`, `unparseable-reply`
 * (neither CORRECT nor INCORRECT), `models-unavailable` (no model given and `/models` failed or was empty).
 */
export type JudgeErrorKind =
  | "timeout"
  | "connection"
  | `http-${number}`
  | "unparseable-reply"
  | "models-unavailable";

/** Counters of an {@link LlmJudge} since it was created. */
export interface LlmJudgeMetrics {
  /** Chat-completion requests sent, retries included. */
  calls: number;
  retries: number;
  cacheHits: number;
  /** Failed judgements by kind (each judgement counted once, after its last attempt). */
  errors: Partial<Record<JudgeErrorKind, number>>;
  /** Latency of each chat-completion request that got an answer or an HTTP error. */
  latencyMs: LatencySummary;
}

interface FailedAttempt {
  kind: JudgeErrorKind;
  cause: string;
  retryable: boolean;
}

/**
 * The reference's LLM judge over any OpenAI-compatible endpoint, through the official `openai` client: a
 * system prompt for an impartial evaluator, the task's question, the ground truth and the prediction,
 * temperature 0, and a one-word reply. `CORRECT`/`INCORRECT` (trimmed, any case) decide; anything else, a
 * timeout or an HTTP error after the last attempt is a verdict with `status: "error"` and its cause, never
 * an answer. Timeouts, connection errors, 408, 409, 429 and 5xx are retried with exponential backoff; other
 * 4xx are not (asking again cannot help).
 */
export class LlmJudge {
  readonly baseURL: string;
  readonly timeoutMs: number;
  readonly maxAttempts: number;
  readonly retryDelayMs: number;
  readonly cache: VerdictCache | undefined;
  readonly #client: OpenAI;
  readonly #limiter: ConcurrencyLimiter;
  readonly #latency = new LatencyWindow();
  readonly #counters = { calls: 0, retries: 0, cacheHits: 0 };
  readonly #errors: Partial<Record<JudgeErrorKind, number>> = {};
  #model: Promise<string> | undefined;

  /** @throws JudgeError when an option is out of range (each message names it). */
  constructor(options: LlmJudgeOptions = {}) {
    const endpoint = judgeEndpointFromEnv();
    this.baseURL = options.baseURL ?? endpoint.baseURL;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.maxAttempts = options.maxAttempts ?? 2;
    this.retryDelayMs = options.retryDelayMs ?? 1000;
    assertPositive("timeoutMs", this.timeoutMs, false);
    assertPositive("maxAttempts", this.maxAttempts, true);
    if (!Number.isFinite(this.retryDelayMs) || this.retryDelayMs < 0) {
      throw new JudgeError(
        `LlmJudge: retryDelayMs must be a finite number ≥ 0, got ${String(this.retryDelayMs)}.`,
      );
    }
    const concurrency = options.concurrency ?? 8;
    assertPositive("concurrency", concurrency, true);
    if (options.model !== undefined) {
      if (typeof options.model !== "string" || options.model === "") {
        throw new JudgeError(
          `LlmJudge: model must be a non-empty string, got ${JSON.stringify(options.model)}.`,
        );
      }
      this.#model = Promise.resolve(options.model);
    }
    this.cache = options.cache;
    this.#limiter = new ConcurrencyLimiter(concurrency);
    // Retries are ours (counted, with the reference's spacing); the client's own would hide them.
    this.#client = new OpenAI({
      baseURL: this.baseURL,
      apiKey: options.apiKey ?? endpoint.apiKey,
      timeout: this.timeoutMs,
      maxRetries: 0,
    });
  }

  /**
   * The judge model: the one given, else the first id `GET /models` lists (asked once; asked again after a
   * failure).
   *
   * @throws JudgeError when `/models` cannot be listed or lists nothing.
   */
  model(): Promise<string> {
    if (this.#model === undefined) {
      const listing = this.#firstModel();
      this.#model = listing;
      listing.catch(() => {
        if (this.#model === listing) this.#model = undefined;
      });
    }
    return this.#model;
  }

  /**
   * Judges one prediction against one ground truth. Empty question, ground truth or prediction scores 0
   * without a call, as in the reference (`decidedBy: "rule"`, `rule: "empty-input"`).
   *
   * @throws JudgeError when a field is not a string.
   */
  async judge(input: LlmJudgeInput): Promise<Verdict> {
    for (const field of ["question", "groundTruth", "prediction"] as const) {
      if (typeof input?.[field] !== "string") {
        throw new JudgeError(`LlmJudge.judge: ${field} must be a string, got ${typeof input?.[field]}.`);
      }
    }
    const empty = (["question", "groundTruth", "prediction"] as const).find(
      (field) => input[field].trim() === "",
    );
    if (empty !== undefined) {
      return ruleVerdict(false, "empty-input", `${empty} is empty; scored 0 without asking the judge`);
    }
    let model: string;
    try {
      model = await this.model();
    } catch (error) {
      return this.#fail("models-unavailable", (error as Error).message);
    }
    const key = { model, ...pick(input) };
    const hit = this.cache?.get(key);
    if (hit !== undefined) {
      this.#counters.cacheHits++;
      return hit;
    }
    for (let attempt = 1; ; attempt++) {
      const reply = await this.#limiter.run(() => this.#ask(model, input));
      if (typeof reply === "string") {
        const correct = parseJudgeReply(reply);
        if (correct === undefined) {
          return this.#fail(
            "unparseable-reply",
            `the judge replied ${JSON.stringify(reply.slice(0, 200))}, not CORRECT or INCORRECT`,
          );
        }
        const verdict = llmVerdict(correct);
        // A cache that cannot write must not lose a finished judgement; the file just misses a line.
        await this.cache?.set(key, verdict).catch(() => undefined);
        return verdict;
      }
      if (!reply.retryable || attempt >= this.maxAttempts) {
        return this.#fail(reply.kind, `${reply.cause} (after ${attempt} attempt${attempt === 1 ? "" : "s"})`);
      }
      this.#counters.retries++;
      await sleep(this.retryDelayMs * 2 ** (attempt - 1));
    }
  }

  /** Counters since creation. */
  metrics(): LlmJudgeMetrics {
    return { ...this.#counters, errors: { ...this.#errors }, latencyMs: this.#latency.summary() };
  }

  async #ask(model: string, input: LlmJudgeInput): Promise<string | FailedAttempt> {
    this.#counters.calls++;
    const started = performance.now();
    try {
      const completion = await this.#client.chat.completions.create({
        model,
        temperature: 0,
        messages: [
          { role: "system", content: JUDGE_SYSTEM_PROMPT },
          { role: "user", content: buildJudgePrompt(input) },
        ],
      });
      this.#latency.record(performance.now() - started);
      return completion.choices[0]?.message?.content ?? "";
    } catch (error) {
      const failed = classify(error, this.timeoutMs);
      if (failed.kind.startsWith("http-")) this.#latency.record(performance.now() - started);
      return failed;
    }
  }

  async #firstModel(): Promise<string> {
    let first: string | undefined;
    try {
      const page = await this.#client.models.list();
      first = page.data[0]?.id;
    } catch (error) {
      throw new JudgeError(
        `LlmJudge: cannot list the models at ${this.baseURL}/models (${(error as Error).message}); start the judge server or pass { model }.`,
      );
    }
    if (first === undefined || first === "") {
      throw new JudgeError(
        `LlmJudge: ${this.baseURL}/models lists no model; pass { model } or load one on the server.`,
      );
    }
    return first;
  }

  #fail(kind: JudgeErrorKind, cause: string): Verdict {
    this.#errors[kind] = (this.#errors[kind] ?? 0) + 1;
    return errorVerdict(`${kind}: ${cause}`);
  }
}

function classify(error: unknown, timeoutMs: number): FailedAttempt {
  if (error instanceof OpenAI.APIConnectionTimeoutError) {
    return { kind: "timeout", cause: `no reply within ${timeoutMs} ms`, retryable: true };
  }
  if (error instanceof OpenAI.APIConnectionError) {
    return { kind: "connection", cause: error.message, retryable: true };
  }
  if (error instanceof OpenAI.APIError && typeof error.status === "number") {
    const status = error.status;
    const retryable = status === 408 || status === 409 || status === 429 || status >= 500;
    return { kind: `http-${status}`, cause: `HTTP ${status}: ${error.message}`, retryable };
  }
  return {
    kind: "connection",
    cause: error instanceof Error ? error.message : String(error),
    retryable: true,
  };
}

function pick({ question, groundTruth, prediction }: LlmJudgeInput): LlmJudgeInput {
  return { question, groundTruth, prediction };
}

function assertPositive(name: string, value: number, integer: boolean): void {
  const valid = integer ? Number.isInteger(value) && value >= 1 : Number.isFinite(value) && value > 0;
  if (!valid) {
    throw new JudgeError(
      `LlmJudge: ${name} must be ${integer ? "an integer ≥ 1" : "a finite number > 0"}, got ${String(value)}.`,
    );
  }
}

function sleep(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}
