/** One model parameter as a checkpoint carries it: row-major float32 values and their shape. */
export interface CheckpointWeight {
  shape: readonly number[];
  data: Float32Array;
}
