import type { BackendName } from "@hdpo/tensor";
import type { ModelConfig } from "../model-config";
import type { ShardAssignment } from "./shard-gradients";

/** Plain data a replica worker gets at start (its `workerData`). */
export interface ReplicaWorkerData {
  /** The worker's index, for error messages. */
  index: number;
  backend: BackendName;
  config: ModelConfig;
  /** Parameter names in the order of the flat arrays exchanged. */
  names: string[];
  shapes: number[][];
  /** The initial weights, flat. */
  weights: Float32Array;
  /** The loss module's URL (href). */
  lossModule: string;
}

/** Main thread → worker: set the weights, then compute the gradients of these shards. */
export interface StepRequest<Shard> {
  type: "step";
  id: number;
  weights: Float32Array;
  assignment: ShardAssignment<Shard>;
}

/** Worker → main thread. */
export type ReplicaMessage =
  | { type: "ready" }
  | { type: "gradients"; id: number; loss: number; metrics: Record<string, number>; gradients: Float32Array }
  | { type: "failed"; id: number | null; message: string; stack?: string };
