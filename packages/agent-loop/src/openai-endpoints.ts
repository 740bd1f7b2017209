import { type PolicyRequest, type SamplingParams, SamplingParamsSchema } from "@hdpo/core";
import OpenAI from "openai";
import { type EndpointCallOptions, EndpointPool, type EndpointPoolOptions } from "./endpoint-pool";
import { OpenAIPolicyError } from "./openai-policy-error";

/** Connection options shared by the OpenAI-compatible policies. */
export interface OpenAIEndpointOptions {
  /** One base URL (e.g. `http://127.0.0.1:8000/v1`) or several replicas of the same server. */
  baseURL: string | readonly string[];
  /** Sent as the bearer token (default "EMPTY", what vLLM expects when it has no key). */
  apiKey?: string;
  /** The model id; when omitted, the first id of `GET /models` is used (asked once, then cached). */
  model?: string;
  /** Per-request timeout (default 600 000 ms). */
  timeoutMs?: number;
  /** Retries after the first attempt, across replicas (default 3). */
  maxRetries?: number;
  /** Backoff, cooldown and affinity settings of the endpoint pool. */
  pool?: Omit<EndpointPoolOptions, "maxRetries">;
}

/** Per-call options of the policies' `generate`. */
export interface PolicyCallOptions {
  /**
   * Requests with the same key go to the same replica while it is healthy, so its prefix cache is reused:
   * pass the trajectory id. Without it, requests are balanced by load.
   */
  affinityKey?: string;
}

/** The per-call key wins over the request's (the agent loop sets the request's to the trajectory id). */
export function affinity(options: PolicyCallOptions, request: PolicyRequest): { affinityKey?: string } {
  const key = options.affinityKey ?? request.affinityKey;
  return key === undefined ? {} : { affinityKey: key };
}

/**
 * The replicas a policy talks to: one `openai` client per base URL (created with `maxRetries: 0`: the pool does the
 * retrying and failing over) and the model id, discovered once.
 */
export class OpenAIEndpoints {
  readonly pool: EndpointPool;
  private readonly clients = new Map<string, OpenAI>();
  private modelId: Promise<string> | undefined;

  constructor(options: OpenAIEndpointOptions, owner: string) {
    if (options.timeoutMs !== undefined && !(Number.isFinite(options.timeoutMs) && options.timeoutMs > 0)) {
      throw new OpenAIPolicyError(
        "invalid-options",
        `${owner}: timeoutMs must be a positive number, got ${options.timeoutMs}.`,
      );
    }
    if (options.model !== undefined && (typeof options.model !== "string" || options.model.length === 0)) {
      throw new OpenAIPolicyError(
        "invalid-options",
        `${owner}: model must be a non-empty string when given.`,
      );
    }
    this.pool = new EndpointPool(options.baseURL, { ...options.pool, maxRetries: options.maxRetries ?? 3 });
    for (const baseURL of this.pool.baseURLs) {
      this.clients.set(
        baseURL,
        new OpenAI({
          baseURL,
          apiKey: options.apiKey ?? "EMPTY",
          timeout: options.timeoutMs ?? 600_000,
          maxRetries: 0,
        }),
      );
    }
    if (options.model !== undefined) this.modelId = Promise.resolve(options.model);
  }

  /** Runs `fn` with a replica's client, through the pool's retries and failover. */
  call<T>(fn: (client: OpenAI) => Promise<T>, options: EndpointCallOptions): Promise<T> {
    return this.pool.run((baseURL) => fn(this.clients.get(baseURL)!), options);
  }

  /** The model id: the configured one, or the first id `GET /models` lists (cached; a failed look-up is retried next time). */
  model(signal?: AbortSignal): Promise<string> {
    if (this.modelId === undefined) {
      const lookup = this.call(
        async (client) => {
          const page = await client.models.list({ signal });
          const first = page.data[0]?.id;
          if (typeof first !== "string" || first.length === 0) {
            throw new OpenAIPolicyError(
              "no-model",
              "GET /models listed no model; pass `model` explicitly or check that the server loaded one.",
            );
          }
          return first;
        },
        { label: "GET /models", ...(signal === undefined ? {} : { signal }) },
      );
      this.modelId = lookup;
      lookup.catch(() => {
        if (this.modelId === lookup) this.modelId = undefined;
      });
    }
    return this.modelId;
  }
}

/** Validates sampling settings with core's schema (defaults filled), naming the first bad field. */
export function parseSampling(sampling: SamplingParams, owner: string) {
  const parsed = SamplingParamsSchema.safeParse(sampling);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new OpenAIPolicyError(
      "invalid-request",
      `${owner}: sampling.${issue.path.map(String).join(".")}: ${issue.message}.`,
    );
  }
  return parsed.data;
}

/**
 * Reads `token_id:<n>` token names (vLLM's `return_tokens_as_token_ids`); undefined when any token is not one.
 * @throws OpenAIPolicyError (`bad-response`) for a name whose id is not a safe integer: a server that garbles ids
 *   must not have them rounded into other tokens.
 */
export function tokenIdsFromNames(names: readonly string[]): number[] | undefined {
  const ids: number[] = [];
  for (const name of names) {
    const match = /^token_id:(\d+)$/.exec(name);
    if (match === null) return undefined;
    const id = Number(match[1]);
    if (!Number.isSafeInteger(id)) {
      throw new OpenAIPolicyError(
        "bad-response",
        `the server named a token "${name.slice(0, 40)}", whose id is not an integer a tokenizer can hold; its token ids are unusable.`,
      );
    }
    ids.push(id);
  }
  return ids;
}

/** Checks that every log-prob a server sent is a finite number ≤ 0 (tolerating float noise). */
export function checkLogProbs(values: readonly unknown[], where: string): number[] {
  return values.map((value, i) => {
    if (typeof value !== "number" || !Number.isFinite(value) || value > 1e-6) {
      throw new OpenAIPolicyError(
        "bad-response",
        `${where}: log-prob ${i} is ${JSON.stringify(value)}, not a finite number ≤ 0; the server's log-probs are unusable.`,
      );
    }
    return value;
  });
}
