import { createJudge, type ErrorPolicy, type Judge, LlmJudge, VerdictCache } from "@hdpo/judge";
import { EvaluatorError } from "../evaluator-error";

/** Who judges: the rule verifiers alone, or rules first and an LLM judge at `baseURL` for the rest. */
export type JudgeSpec = { kind: "rules" } | { kind: "llm"; baseURL: string };

/** Reads `--judge rules|URL`. */
export function parseJudgeSpec(value: string): JudgeSpec {
  if (value === "rules") return { kind: "rules" };
  try {
    const url = new URL(value);
    if (url.protocol === "http:" || url.protocol === "https:") return { kind: "llm", baseURL: value };
  } catch {
    // reported below
  }
  throw new EvaluatorError(
    `--judge must be "rules" or an OpenAI-compatible judge base URL like http://127.0.0.1:8000/v1; got "${value}".`,
  );
}

/** Options of {@link createEvaluationJudge}. */
export interface EvaluationJudgeOptions {
  spec: JudgeSpec;
  errorPolicy: ErrorPolicy;
  model?: string;
  apiKey?: string;
  /** Verdicts persisted here and reused on resume (LLM judge only). */
  cachePath?: string;
  concurrency: number;
  /** LLM judge per-request timeout and retry delay; the reference's 30 s and 1 s by default. */
  timeoutMs?: number;
  retryDelayMs?: number;
}

/** A judge for a run, and how to release it. */
export interface EvaluationJudge {
  judge: Judge;
  /** The LLM judge's model, when one was configured (else looked up from /models on first use). */
  model: string | undefined;
  close(): Promise<void>;
}

/** The cascade of `@hdpo/judge`: rules decide when they can, the LLM (when configured) only when they cannot. */
export async function createEvaluationJudge(options: EvaluationJudgeOptions): Promise<EvaluationJudge> {
  if (options.spec.kind === "rules") {
    return {
      judge: createJudge({ errorPolicy: options.errorPolicy }),
      model: undefined,
      close: async () => {},
    };
  }
  const cache = options.cachePath === undefined ? undefined : await VerdictCache.open(options.cachePath);
  const llm = new LlmJudge({
    baseURL: options.spec.baseURL,
    ...(options.apiKey === undefined ? {} : { apiKey: options.apiKey }),
    ...(options.model === undefined ? {} : { model: options.model }),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    ...(options.retryDelayMs === undefined ? {} : { retryDelayMs: options.retryDelayMs }),
    concurrency: options.concurrency,
    ...(cache === undefined ? {} : { cache }),
  });
  return {
    judge: createJudge({ llm, errorPolicy: options.errorPolicy }),
    model: options.model,
    close: async () => {
      await cache?.flush();
    },
  };
}
