import type { FutureKind, LoggedFuture } from "./future-log";
import type { CheckpointRecord, ModelRecord, RegistryFile } from "./registry";
import { checkpointPath } from "./tinker-path";

export const RESTARTED_BEFORE_RUN = "The server restarted before this request ran; send it again.";

/** A `(model_id, seq_id)` already taken, with the request that took it. */
export interface SeqIdUse {
  kind: FutureKind;
  hash: string;
  futureId: number;
}

/** What a state directory comes back as after a restart. */
export interface Restarted {
  /** Checkpoints kept; completed ones that cannot be used any more are marked failed with the reason. */
  checkpoints: CheckpointRecord[];
  /** Checkpoints that were still being written: forgotten (their folders are partial), so the name is free again. */
  unfinishedCheckpoints: CheckpointRecord[];
  models: ModelRecord[];
  futures: LoggedFuture[];
  nextFutureId: number;
  seqIds: Map<string, Map<number, SeqIdUse>>;
}

/**
 * The rules of a restart, applied to what the registry and the futures log remember (the in-memory weights, the
 * accumulated gradients and the ephemeral sampler weights are gone):
 *
 * - a pending future fails with "restarted before this request ran; send it again";
 * - a model comes back at its restore point (its last save_weights or load_weights, or its base weights if no step
 *   ran); its finished forward_backward / optim_step futures after that point fail saying their effect was lost;
 * - a model that had stepped without any restore point is unloaded, saying its weights were lost;
 * - ephemeral sampler weights fail (they lived in memory); a checkpoint whose folder is missing fails;
 * - the sequence ids of the futures failed here are free again, so resending a request with its seq_id runs it.
 */
export function applyRestartRules(
  registry: RegistryFile | undefined,
  logged: LoggedFuture[],
  folderExists: (checkpoint: CheckpointRecord) => boolean,
): Restarted {
  const checkpoints: CheckpointRecord[] = [];
  const unfinishedCheckpoints: CheckpointRecord[] = [];
  for (const checkpoint of registry?.checkpoints ?? []) {
    if (checkpoint.status === "pending") {
      unfinishedCheckpoints.push(checkpoint);
      continue;
    }
    if (checkpoint.status === "completed" && checkpoint.ephemeral) {
      checkpoint.status = "failed";
      checkpoint.error =
        "these ephemeral sampler weights lived in memory and were lost when the server restarted; call save_weights_for_sampler again";
    } else if (checkpoint.status === "completed" && !folderExists(checkpoint)) {
      checkpoint.status = "failed";
      checkpoint.error = "its folder is missing from the state directory";
    }
    checkpoints.push(checkpoint);
  }

  /** Per model: the futures after this id lost their effect on the weights, and what to tell their owner. */
  const lostAfter = new Map<string, { after: number; message: string }>();
  const models = registry?.models ?? [];
  for (const record of models) {
    if (record.status === "unloading") {
      record.status = "unloaded";
      record.unloadReason = "Model was unloaded before the server restarted; create a new model.";
    }
    if (record.status !== "created") continue;
    if (record.dirty && record.restore === null) {
      record.status = "unloaded";
      record.unloadReason =
        `Model ${record.id} lost its trained weights when the server restarted (it had no save_weights checkpoint); ` +
        "create a new model, or load_weights a checkpoint into a new one.";
      lostAfter.set(record.id, { after: record.createFutureId, message: record.unloadReason });
      continue;
    }
    const from =
      record.restore === null
        ? "its base weights (no step had run)"
        : checkpointPath(record.restore.modelId, "training", record.restore.checkpoint);
    lostAfter.set(record.id, {
      after: record.restore?.futureId ?? record.createFutureId,
      message:
        `The server restarted after this request ran, and model ${record.id} was restored from ${from}, which ` +
        "predates it: its effect on the weights was lost. Send it again.",
    });
    record.dirty = false;
  }

  let nextFutureId = registry?.nextFutureId ?? 1;
  const seqIds = new Map<string, Map<number, SeqIdUse>>();
  for (const future of logged) {
    nextFutureId = Math.max(nextFutureId, future.id + 1);
    if (future.status === "pending") {
      future.status = "failed";
      future.text = RESTARTED_BEFORE_RUN;
      continue;
    }
    const lost = future.modelId === null ? undefined : lostAfter.get(future.modelId);
    if (
      lost !== undefined &&
      future.status === "completed" &&
      future.id > lost.after &&
      (future.kind === "forward_backward" || future.kind === "optim_step")
    ) {
      future.status = "failed";
      future.text = lost.message;
      continue;
    }
    if (future.modelId !== null && future.seqId !== undefined && future.hash !== undefined) {
      const uses = seqIds.get(future.modelId) ?? new Map<number, SeqIdUse>();
      uses.set(future.seqId, { kind: future.kind, hash: future.hash, futureId: future.id });
      seqIds.set(future.modelId, uses);
    }
  }
  return { checkpoints, unfinishedCheckpoints, models, futures: logged, nextFutureId, seqIds };
}
