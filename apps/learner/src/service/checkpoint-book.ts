import { HttpError } from "@hdpo/http";
import type { CheckpointRecord } from "./registry";
import { checkpointPath } from "./tinker-path";

export type CheckpointType = "training" | "sampler";

/**
 * Every checkpoint of the server, keyed by model, type and name (a training and a sampler checkpoint may share a
 * name, as in SkyRL), with the spec's answers for one that is missing (404), pending (425) or failed (500).
 */
export class CheckpointBook {
  private readonly checkpoints = new Map<string, CheckpointRecord>();

  get size(): number {
    return this.checkpoints.size;
  }

  all(): CheckpointRecord[] {
    return [...this.checkpoints.values()];
  }

  /** Adds a checkpoint as it was (after a restart). */
  put(checkpoint: CheckpointRecord): void {
    this.checkpoints.set(key(checkpoint.modelId, checkpoint.type, checkpoint.name), checkpoint);
  }

  /** A new pending checkpoint; 409 when the name is taken for this model and type. */
  add(
    modelId: string,
    type: CheckpointType,
    name: string,
    ephemeral: boolean,
    futureId: number,
  ): CheckpointRecord {
    if (this.checkpoints.has(key(modelId, type, name))) {
      throw new HttpError(409, `Checkpoint '${name}' already exists for model '${modelId}'`);
    }
    const checkpoint: CheckpointRecord = {
      modelId,
      name,
      type,
      status: "pending",
      ephemeral,
      createdAt: new Date().toISOString(),
      futureId,
    };
    this.put(checkpoint);
    return checkpoint;
  }

  /** 409 when the name is taken (checked before anything else of the request is created). */
  refuseTaken(modelId: string, type: CheckpointType, name: string): void {
    if (this.checkpoints.has(key(modelId, type, name))) {
      throw new HttpError(409, `Checkpoint '${name}' already exists for model '${modelId}'`);
    }
  }

  /** A completed checkpoint, or SkyRL's 404 / 425 (pending) / 500 (failed). */
  ready(modelId: string, type: CheckpointType, name: string): CheckpointRecord {
    const checkpoint = this.checkpoints.get(key(modelId, type, name));
    if (checkpoint === undefined) throw new HttpError(404, `Checkpoint not found: ${modelId}/${name}`);
    if (checkpoint.status === "pending") throw new HttpError(425, "Checkpoint is still being created");
    if (checkpoint.status === "failed") {
      throw new HttpError(500, `Checkpoint creation failed: ${checkpoint.error ?? "unknown error"}`);
    }
    return checkpoint;
  }

  /** The completed checkpoints of a model, oldest first. */
  completed(modelId: string, type?: CheckpointType): CheckpointRecord[] {
    return this.all().filter(
      (c) => c.modelId === modelId && c.status === "completed" && (type === undefined || c.type === type),
    );
  }
}

/** A checkpoint as the listings show it. */
export function checkpointInfo(checkpoint: CheckpointRecord) {
  return {
    checkpoint_id: checkpoint.name,
    checkpoint_type: checkpoint.type,
    time: checkpoint.completedAt ?? checkpoint.createdAt,
    tinker_path: checkpointPath(checkpoint.modelId, checkpoint.type, checkpoint.name),
  };
}

function key(modelId: string, type: CheckpointType, name: string): string {
  return `${modelId}/${type}/${name}`;
}
