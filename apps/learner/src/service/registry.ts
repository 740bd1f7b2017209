import { existsSync, readFileSync } from "node:fs";
import { writeFileAtomic } from "@hdpo/policy";
import { z } from "zod";
import { LearnerServerError } from "../learner-server-error";

// What a state directory remembers across restarts, in one JSON file rewritten atomically on every change.

const SessionRecord = z.object({
  id: z.string(),
  tags: z.array(z.string()),
  userMetadata: z.record(z.string(), z.unknown()).nullable(),
  sdkVersion: z.string(),
  createdAt: z.string(),
  expiredAt: z.string().optional(),
  /** The session has sent heartbeats: after a restart its clock starts again instead of stopping. */
  heartbeats: z.boolean().optional(),
});
export type SessionRecord = z.infer<typeof SessionRecord>;

/** The training state a model returns to when its in-memory weights are lost. */
const RestorePoint = z.object({
  /** The model whose training checkpoint it is. */
  modelId: z.string(),
  checkpoint: z.string(),
  weightsOnly: z.boolean(),
  /** The future that saved or loaded it: requests after it are lost when the model is restored. */
  futureId: z.number(),
});
export type RestorePoint = z.infer<typeof RestorePoint>;

const ModelRecord = z.object({
  id: z.string(),
  sessionId: z.string(),
  baseModel: z.string(),
  loraRank: z.number(),
  loraSeed: z.number(),
  modelRole: z.string(),
  createdAt: z.string(),
  createFutureId: z.number(),
  status: z.enum(["created", "unloading", "unloaded"]),
  /** Why an unloaded model is unloaded; requests to it fail with this. */
  unloadReason: z.string().optional(),
  /** A request other than create_model was made (load_weights is only allowed before). */
  hadRequests: z.boolean(),
  /** Null: the base weights (fresh optimizer). */
  restore: RestorePoint.nullable(),
  /** An optimizer step ran since the restore point: the weights are no longer those of the restore point. */
  dirty: z.boolean(),
});
export type ModelRecord = z.infer<typeof ModelRecord>;

const CheckpointRecord = z.object({
  modelId: z.string(),
  name: z.string(),
  type: z.enum(["training", "sampler"]),
  status: z.enum(["pending", "completed", "failed"]),
  /** Sampler weights held in memory only (save_weights_for_sampler with a sampling-session seq id). */
  ephemeral: z.boolean(),
  createdAt: z.string(),
  completedAt: z.string().optional(),
  error: z.string().optional(),
  futureId: z.number(),
});
export type CheckpointRecord = z.infer<typeof CheckpointRecord>;

const SamplingSessionRecord = z.object({
  id: z.string(),
  sessionId: z.string(),
  seqId: z.number(),
  baseModel: z.string().nullable(),
  modelPath: z.string().nullable(),
  createdAt: z.string(),
});
export type SamplingSessionRecord = z.infer<typeof SamplingSessionRecord>;

const RegistryFile = z.object({
  format: z.literal(1),
  /** The base model the directory belongs to: a server on another base refuses the directory. */
  baseModel: z.string(),
  baseConfig: z.unknown(),
  nextFutureId: z.number(),
  sessions: z.array(SessionRecord),
  models: z.array(ModelRecord),
  checkpoints: z.array(CheckpointRecord),
  samplingSessions: z.array(SamplingSessionRecord),
});
export type RegistryFile = z.infer<typeof RegistryFile>;

/** Reads `path`; undefined when there is none yet. */
export function readRegistry(path: string): RegistryFile | undefined {
  if (!existsSync(path)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new LearnerServerError(
      `${path} is not valid JSON (${(error as Error).message}); move it away to start from an empty state directory.`,
    );
  }
  const parsed = RegistryFile.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new LearnerServerError(
      `${path} is not an hdpo-learner registry (${issue.path.join(".")}: ${issue.message}); move it away or pass another --state-dir.`,
    );
  }
  return parsed.data;
}

/**
 * Writes the registry atomically (temp file, fsync, rename). Calls made while a write is queued share it; each write
 * takes the state as it is when the write starts, so the file never goes back in time.
 */
export class RegistryWriter {
  private current: Promise<void> = Promise.resolve();
  private queued: Promise<void> | undefined;

  constructor(
    private readonly path: string,
    private readonly snapshot: () => RegistryFile,
    private readonly onError: (message: string) => void,
  ) {}

  /** Resolves once a write that includes the current state is on disk (never rejects; failures are reported). */
  persist(): Promise<void> {
    if (this.queued !== undefined) return this.queued;
    const run = this.current.then(async () => {
      this.queued = undefined;
      try {
        await writeFileAtomic(this.path, `${JSON.stringify(this.snapshot())}\n`);
      } catch (error) {
        this.onError(`could not write ${this.path}: ${(error as Error).message}`);
      }
    });
    this.queued = run;
    this.current = run;
    return run;
  }
}
