import { parentPort, workerData } from "node:worker_threads";
import { useBackend } from "@hdpo/tensor";
import { DecoderModel, type PlainWeight } from "../model/decoder-model";
import { loadLossModule } from "./loss-module";
import { assignParameters, type ParameterLayout } from "./parameter-layout";
import { shardGradients } from "./shard-gradients";
import type { ReplicaMessage, ReplicaWorkerData, StepRequest } from "./worker-protocol";

/*
 * A data-parallel replica: its own tfjs and DecoderModel in a worker thread. Per request it takes the
 * master's weights, computes the summed loss and gradients of its shards and sends them back (transferred).
 */

const port = parentPort;
if (port === null)
  throw new Error("replica-worker must run in a worker thread (createDataParallelTrainer starts it)");

const data = workerData as ReplicaWorkerData;

function send(message: ReplicaMessage, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(message, transfer);
}

function failure(id: number | null, error: unknown): ReplicaMessage {
  return error instanceof Error
    ? { type: "failed", id, message: `${error.name}: ${error.message}`, stack: error.stack }
    : { type: "failed", id, message: String(error) };
}

try {
  await useBackend(data.backend);
  const weights = new Map<string, PlainWeight>();
  const offsets: number[] = [];
  let size = 0;
  data.names.forEach((name, i) => {
    const shape = data.shapes[i]!;
    const count = shape.reduce((a, b) => a * b, 1);
    offsets.push(size);
    weights.set(name, { shape, data: data.weights.subarray(size, size + count) });
    size += count;
  });
  const layout: ParameterLayout = { names: data.names, shapes: data.shapes, offsets, size };
  const model = DecoderModel.fromWeights(data.config, weights);
  const loss = await loadLossModule<unknown>(data.lossModule);
  port.on("message", (request: StepRequest<unknown>) => {
    try {
      assignParameters(model, layout, request.weights);
      const result = shardGradients(model, layout, loss, request.assignment);
      send({ type: "gradients", id: request.id, ...result }, [result.gradients.buffer as ArrayBuffer]);
    } catch (error) {
      send(failure(request.id, error));
    }
  });
  send({ type: "ready" });
} catch (error) {
  send(failure(null, error));
}
