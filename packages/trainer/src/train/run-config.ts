import { DEFAULT_MAX_CONSECUTIVE_INFRA_FAILURES } from "@hdpo/agent-loop";
import type { ErrorPolicy } from "@hdpo/judge";
import { SUITE_TEMPLATES, TASK_FAMILIES, type TaskFamily } from "@hdpo/tasks";
import { BACKEND_NAMES } from "@hdpo/tensor";
import { z } from "zod";
import {
  ModelSizesSchema,
  RlSettingsSchema,
  SftSettingsSchema,
  TokenizerSettingsSchema,
} from "../trainer-config";
import { TrainerError } from "../trainer-error";

const positiveInt = z.number().int().positive();
const splitSizes = z.strictObject({
  train: z.number().int().nonnegative(),
  val: z.number().int().nonnegative(),
  test: positiveInt,
});

/** The embedded task suite the run trains and evaluates on. */
export const SuiteSettingsSchema = z.strictObject({
  /** Seed of the suite (default: the run seed). */
  seed: z.number().int().optional(),
  /** Families to generate; image tasks need a vision policy, so the text policy trains on the other three. */
  families: z.array(z.enum(TASK_FAMILIES)).min(1).default(["direct", "python", "search"]),
  /** Tasks per split for each family. */
  sizes: splitSizes.default({ train: 48, val: 16, test: 32 }),
  /**
   * The system prompt: "full" is the reference's (`systemPrompt({ tools })` with the tools' JSON schemas, several
   * hundred tokens); "compact" names the tools and the format in a few lines, which a small model on a laptop
   * trains on several times faster.
   */
  systemPrompt: z.enum(["full", "compact"]).default("full"),
  /**
   * Per family, the templates to draw (`SUITE_TEMPLATES` of `@hdpo/tasks`); a family left out draws all of its
   * templates. The presets keep to the tasks whose tool calls a small model can write.
   */
  templates: z
    .partialRecord(z.enum(TASK_FAMILIES), z.array(z.string()).min(1))
    .optional()
    .superRefine((templates, context) => {
      for (const [family, names] of Object.entries(templates ?? {}) as [TaskFamily, string[]][]) {
        const unknown = names.filter((name) => !SUITE_TEMPLATES[family].includes(name));
        if (unknown.length > 0) {
          context.addIssue({
            code: "custom",
            path: [family],
            message: `unknown template ${unknown.join(", ")}; the ${family} templates are ${SUITE_TEMPLATES[family].join(", ")}`,
          });
        }
      }
    }),
  /**
   * Results the local search returns per query. Observations keep their last `rl.maxObservationTokens` tokens (as
   * the reference truncates), so with many results a small budget would show only the last, least relevant one.
   */
  searchResults: positiveInt.default(3),
});

/** The before/after evaluation on the held-out test split. */
export const EvalSettingsSchema = z.strictObject({
  /** Sampling temperature (0 = greedy). */
  temperature: z.number().nonnegative().default(0),
  /** Tool calls per rollout at most. */
  maxTurns: z.number().int().nonnegative().default(4),
  /** Response tokens per rollout (default: the RL budget). */
  maxResponseTokens: positiveInt.optional(),
  /** Trajectories in flight at once. */
  concurrency: positiveInt.default(8),
  /** Evaluate on at most this many test tasks (default all). */
  limit: positiveInt.optional(),
  /**
   * Tasks in a row that one service (the tool server, the LLM judge) may fail before an evaluation stops the run;
   * such tasks are never scored (they are counted in the result's `notScored`).
   */
  maxInfraFailures: positiveInt.default(DEFAULT_MAX_CONSECUTIVE_INFRA_FAILURES),
});

const distinct = (values: readonly string[]): boolean => new Set(values).size === values.length;

const httpUrl = z.url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" });

/**
 * Who executes the tool calls of the cold start, the HDPO rollouts and the evaluations: the in-process tools
 * (sandboxed Python, a local search over the suite's corpus) unless `server` names a tool server.
 */
export const ToolsSettingsSchema = z.strictObject({
  /**
   * A tool server speaking the reference's protocol (`hdpo-tool-server`, or verl-tool's), e.g.
   * `http://127.0.0.1:30569` (env `REMOTE_TOOL_SERVER_URL`). For a suite with search tasks it must serve this
   * run's corpus (`DIR/data/corpus.jsonl`, written by `hdpo-train suite`); the run checks that before it starts.
   * Several URLs are replicas of one server: each trajectory stays on the replica of its first call (its Python
   * session lives there).
   */
  server: z.union([httpUrl, z.array(httpUrl).min(1).refine(distinct, "lists a replica twice")]).optional(),
  /** Per tool request to the server; the reference's 400 s. */
  timeoutS: z.number().positive().default(400),
});

/**
 * Who decides whether an answer is right: the rule verifiers of `@hdpo/judge`, and — when `baseUrl` is set — an
 * OpenAI-compatible LLM judge for what the rules cannot decide (the API key comes from `JUDGE_API_KEY`).
 */
export const JudgeSettingsSchema = z.strictObject({
  /** The LLM judge's base URL, e.g. `http://127.0.0.1:8000/v1` (env `JUDGE_BASE_URL`); none = rules only. */
  baseUrl: httpUrl.optional(),
  /** The judge model (default: the first id of its `GET /models`). */
  model: z.string().min(1).optional(),
  /** What a failed judgement counts as: left out of the update and the metrics, wrong, or fatal. */
  errorPolicy: z
    .enum(["exclude", "incorrect", "fail"] as const satisfies readonly ErrorPolicy[])
    .default("exclude"),
  /** Per judge request; the reference's 30 s. */
  timeoutS: z.number().positive().default(30),
  /** Judge requests in flight at once. */
  concurrency: positiveInt.default(8),
});

/** A URL without credentials: keys come from the environment, so that config.json never holds one. */
const urlWithoutCredentials = httpUrl.refine((value) => {
  const url = new URL(value);
  return url.username === "" && url.password === "";
}, "must not carry a user or password; put the key in the environment (TINKER_API_KEY, SAMPLER_API_KEY)");

/**
 * Where the updates run: the in-process tfjs learner, or — with `url` — a Tinker-API training server (SkyRL's over
 * FSDP/Megatron and vLLM, hosted Tinker, or `hdpo-learner`). The API key comes from `TINKER_API_KEY` and is never
 * written to the run folder.
 */
export const LearnerSettingsSchema = z
  .strictObject({
    /** The server's root, e.g. `http://10.0.0.1:8000` (env `HDPO_TRAIN_LEARNER__URL`); none = in process. */
    url: urlWithoutCredentials.optional(),
    /** The base model to train; the server must serve it (SkyRL: its `--base-model`). */
    baseModel: z.string().min(1).max(1024).optional(),
    /**
     * A folder with the base model's `tokenizer.json` (a pretrained model's Hugging Face folder). Without it the run
     * trains its own tokenizer and starting policy as in process, and the server must serve exactly that policy
     * (`hdpo-learner --checkpoint OUT/base`, or `--preset NAME` for a preset run): the run checks it.
     */
    tokenizer: z.string().min(1).optional(),
    /** LoRA rank; 0 trains every parameter (SkyRL fsdp/megatron and hdpo-learner). */
    loraRank: z.number().int().nonnegative().default(0),
    /** LoRA initialisation seed (default: the run seed). */
    loraSeed: z.number().int().optional(),
    /** Limit of one HTTP exchange with the server; long polls are repeated. */
    requestTimeoutS: z.number().positive().default(60),
    /** Repeats of an idempotent request after a network error, a timeout, 429 or 5xx. */
    retries: z.number().int().nonnegative().default(3),
    /** A future still pending after this long fails the call (a cluster's first model takes minutes). */
    futureTimeoutS: z.number().positive().default(7200),
  })
  .superRefine((learner, context) => {
    if (learner.url === undefined) {
      for (const key of ["baseModel", "tokenizer"] as const) {
        if (learner[key] !== undefined) {
          context.addIssue({
            code: "custom",
            path: [key],
            message: "is for a remote learner; set learner.url (--learner URL) too, or leave it out",
          });
        }
      }
    } else if (learner.baseModel === undefined) {
      context.addIssue({
        code: "custom",
        path: ["baseModel"],
        message: "is required with learner.url (--base-model ID): the model the server serves",
      });
    }
  });

/**
 * Where rollouts and evaluations sample: the learner's own sampler (in process, or the Tinker server's `asample`),
 * unless `endpoints` names OpenAI-compatible servers (vLLM, SGLang) serving the policy being trained. They must
 * return the sampled token ids and log-probs (vLLM: `return_tokens_as_token_ids`, `logprobs`); prompts go out as
 * the conversation's exact token ids.
 */
export const SamplerSettingsSchema = z.strictObject({
  /** Replicas of one policy, e.g. `http://10.0.0.2:8001/v1`; a trajectory's turns stay on one replica. */
  endpoints: z.array(urlWithoutCredentials).min(1).refine(distinct, "lists a replica twice").optional(),
  /** The served model's name (default: the first id of `GET /models`). */
  model: z.string().min(1).max(1024).optional(),
  /** Per request. */
  timeoutS: z.number().positive().default(600),
  /** Repeats of a request after a network error, 429 or 5xx (on another replica when there is one). */
  retries: z.number().int().nonnegative().default(2),
});

/** Run management: checkpoints, progress, outputs. */
export const RunSettingsSchema = z.strictObject({
  /** Write a checkpoint (and regenerate the report) every N steps of each phase; 0 = only at phase ends. */
  checkpointEvery: z.number().int().nonnegative().default(25),
  /** Seconds between progress lines when stderr is not a terminal. */
  progressIntervalS: z.number().positive().default(10),
  /** Dataset formats written to DIR/data. */
  dataFormats: z
    .array(z.enum(["parquet", "jsonl"]))
    .min(1)
    .default(["parquet", "jsonl"]),
});

/** A whole training run: the trainer's config plus the suite, the evaluation, the backend and run settings. */
export const RunConfigSchema = z.strictObject({
  /** Seed of everything random: the suite (unless suite.seed), cold start, batches, sampling. */
  seed: z.number().int().default(0),
  // The trainer's sections, strict here so that a misspelt key fails instead of being ignored.
  model: ModelSizesSchema.strict().default(() => ModelSizesSchema.parse({})),
  tokenizer: TokenizerSettingsSchema.strict().default(() => TokenizerSettingsSchema.parse({})),
  sft: SftSettingsSchema.strict().default(() => SftSettingsSchema.parse({})),
  rl: RlSettingsSchema.strict().default(() => RlSettingsSchema.parse({})),
  /** The tfjs backend (`HDPO_BACKEND` or `--backend` override it). */
  backend: z.enum(BACKEND_NAMES).default("wasm"),
  suite: SuiteSettingsSchema.default(() => SuiteSettingsSchema.parse({})),
  eval: EvalSettingsSchema.default(() => EvalSettingsSchema.parse({})),
  tools: ToolsSettingsSchema.default(() => ToolsSettingsSchema.parse({})),
  judge: JudgeSettingsSchema.default(() => JudgeSettingsSchema.parse({})),
  learner: LearnerSettingsSchema.default(() => LearnerSettingsSchema.parse({})),
  sampler: SamplerSettingsSchema.default(() => SamplerSettingsSchema.parse({})),
  run: RunSettingsSchema.default(() => RunSettingsSchema.parse({})),
});

export type RunConfig = z.infer<typeof RunConfigSchema>;
export type RunConfigInput = z.input<typeof RunConfigSchema>;

/**
 * Validates a run config and fills in the defaults.
 *
 * @throws TrainerError naming every bad field by its path (e.g. `rl.groupSize`) and what it must be.
 */
export function parseRunConfig(input: unknown, source = "config"): RunConfig {
  const parsed = RunConfigSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const path = issue.path.length > 0 ? issue.path.join(".") : "(top level)";
    return `${path}: ${issue.message}`;
  });
  throw new TrainerError(`invalid ${source}: ${problems.join("; ")}.`);
}
