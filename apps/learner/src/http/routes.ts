import { HttpError } from "@hdpo/http";
import {
  CreateModelRequest,
  CreateSamplingSessionRequest,
  CreateSessionRequest,
  ForwardBackwardRequest,
  ForwardRequest,
  LoadWeightsRequest,
  ModelIdRequest,
  OptimStepRequest,
  PathId,
  RetrieveFutureRequest,
  SampleRequest,
  SaveWeightsForSamplerRequest,
  SaveWeightsRequest,
  SessionIdRequest,
  WeightsInfoRequest,
} from "../api/schemas";
import { validateBody } from "../api/validate";
import type { LearnerService } from "../service/learner-service";

/** What a route answers. */
export type Reply =
  | { kind: "json"; status?: number; body: unknown }
  /** Already-serialized JSON (a stored future result). */
  | { kind: "text"; status: number; text: string }
  | { kind: "redirect"; location: string }
  /** A folder streamed as an uncompressed tar. */
  | { kind: "tar"; folder: string; filename: string };

/** What a route handler gets. */
export interface RouteContext {
  service: LearnerService;
  /** The `{…}` segments of the path, in order. */
  params: string[];
  query: URLSearchParams;
  /** The parsed JSON body (read, size- and depth-checked on first call). */
  body(): Promise<unknown>;
  /** Aborted when the client goes away (ends a long poll early). */
  signal: AbortSignal;
  retrieveTimeoutMs: number;
}

export interface Route {
  method: "GET" | "POST";
  /** Segments after `/api/v1`; `{}` matches one segment. */
  path: string;
  handle(context: RouteContext): Promise<Reply>;
}

const json = (body: unknown): Reply => ({ kind: "json", body });

/** The routes of spec §2.1–2.19 (JSON only, no protobuf). */
export const ROUTES: Route[] = [
  { method: "GET", path: "healthz", handle: async () => json({ status: "ok" }) },
  {
    method: "POST",
    path: "client/config",
    // Any body, as SkyRL's stub: the SDK's handshake must never fail on what it sends.
    handle: async (c) => {
      await c.body().catch(() => undefined);
      return json({ pjwt_auth_enabled: false });
    },
  },
  { method: "GET", path: "get_server_capabilities", handle: async (c) => json(c.service.capabilities()) },
  {
    method: "POST",
    path: "create_session",
    handle: async (c) =>
      json(await c.service.createSession(validateBody(CreateSessionRequest, await c.body()))),
  },
  {
    method: "POST",
    path: "session_heartbeat",
    handle: async (c) => json(c.service.heartbeat(validateBody(SessionIdRequest, await c.body()).session_id)),
  },
  {
    method: "POST",
    path: "create_model",
    handle: async (c) => json(await c.service.createModel(validateBody(CreateModelRequest, await c.body()))),
  },
  {
    method: "POST",
    path: "get_info",
    handle: async (c) => json(c.service.getInfo(validateBody(ModelIdRequest, await c.body()).model_id)),
  },
  {
    method: "POST",
    path: "unload_model",
    handle: async (c) => json(c.service.unloadModel(validateBody(ModelIdRequest, await c.body()).model_id)),
  },
  {
    method: "POST",
    path: "forward",
    handle: async (c) => {
      const request = validateBody(ForwardRequest, await c.body());
      return json(c.service.forward(request.model_id, request.forward_input, request.seq_id));
    },
  },
  {
    method: "POST",
    path: "forward_backward",
    handle: async (c) => {
      const request = validateBody(ForwardBackwardRequest, await c.body());
      return json(
        c.service.forwardBackward(request.model_id, request.forward_backward_input, request.seq_id),
      );
    },
  },
  {
    method: "POST",
    path: "optim_step",
    handle: async (c) => {
      const request = validateBody(OptimStepRequest, await c.body());
      return json(c.service.optimStep(request.model_id, request.adam_params, request.seq_id));
    },
  },
  {
    method: "POST",
    path: "save_weights",
    handle: async (c) => json(await c.service.saveWeights(validateBody(SaveWeightsRequest, await c.body()))),
  },
  {
    method: "POST",
    path: "save_weights_for_sampler",
    handle: async (c) =>
      json(await c.service.saveWeightsForSampler(validateBody(SaveWeightsForSamplerRequest, await c.body()))),
  },
  {
    method: "POST",
    path: "load_weights",
    handle: async (c) => json(c.service.loadWeights(validateBody(LoadWeightsRequest, await c.body()))),
  },
  {
    method: "POST",
    path: "create_sampling_session",
    handle: async (c) =>
      json(await c.service.createSamplingSession(validateBody(CreateSamplingSessionRequest, await c.body()))),
  },
  { method: "GET", path: "samplers/{}", handle: async (c) => json(c.service.getSampler(c.params[0]!)) },
  {
    method: "POST",
    path: "asample",
    handle: async (c) => json(c.service.asample(validateBody(SampleRequest, await c.body()))),
  },
  {
    method: "POST",
    path: "retrieve_future",
    handle: async (c) => {
      const { request_id } = validateBody(RetrieveFutureRequest, await c.body());
      const outcome = await c.service.retrieveFuture(request_id, c.retrieveTimeoutMs, c.signal);
      switch (outcome.state) {
        case "completed":
          return { kind: "text", status: 200, text: outcome.text };
        case "failed":
          throw new HttpError(400, outcome.message);
        case "timeout":
          throw new HttpError(408, "Timeout waiting for result");
        case "not_found":
          throw new HttpError(404, outcome.message);
      }
    },
  },
  {
    method: "POST",
    path: "telemetry",
    handle: async (c) => {
      await c.body().catch(() => undefined);
      return json({ status: "accepted" });
    },
  },
  {
    method: "POST",
    path: "weights_info",
    handle: async (c) =>
      json(c.service.weightsInfo(validateBody(WeightsInfoRequest, await c.body()).tinker_path)),
  },
  {
    method: "GET",
    path: "training_runs",
    handle: async (c) =>
      json(c.service.listTrainingRuns(queryInt(c.query, "limit", 20), queryInt(c.query, "offset", 0))),
  },
  {
    method: "GET",
    path: "training_runs/{}",
    handle: async (c) => json(c.service.getTrainingRun(c.params[0]!)),
  },
  {
    method: "GET",
    path: "training_runs/{}/checkpoints",
    handle: async (c) => json(c.service.listCheckpoints(pathId(c.params, 0))),
  },
  {
    method: "GET",
    path: "models/{}/checkpoints",
    handle: async (c) => json(c.service.listCheckpoints(pathId(c.params, 0))),
  },
  {
    method: "GET",
    path: "training_runs/{}/checkpoints/{}/archive",
    // As SkyRL: a redirect to the download (the SDK expects this pattern).
    handle: async (c) => {
      const [model, checkpoint] = [pathId(c.params, 0), pathId(c.params, 1)];
      c.service.samplerFolder(model, checkpoint);
      return {
        kind: "redirect",
        location: `/api/v1/training_runs/${model}/checkpoints/${checkpoint}/download`,
      };
    },
  },
  {
    method: "GET",
    path: "training_runs/{}/checkpoints/{}/download",
    handle: async (c) => {
      const [model, checkpoint] = [pathId(c.params, 0), pathId(c.params, 1)];
      return {
        kind: "tar",
        folder: c.service.samplerFolder(model, checkpoint),
        filename: `${model}_${checkpoint}.tar`,
      };
    },
  },
];

/** A path segment that must be an id (`^[a-zA-Z0-9_-]+$`, ≤ 255), else 422 as FastAPI's Path validation. */
function pathId(params: string[], index: number): string {
  const value = params[index]!;
  const parsed = PathId.safeParse(value);
  if (!parsed.success) {
    throw HttpError.validation([
      {
        type: "string_pattern_mismatch",
        loc: ["path", index === 0 ? "unique_id" : "checkpoint_id"],
        msg: "String should match pattern '^[a-zA-Z0-9_-]+$' (at most 255 characters)",
        input: value,
      },
    ]);
  }
  return parsed.data;
}

function queryInt(query: URLSearchParams, name: string, fallback: number): number {
  const text = query.get(name);
  if (text === null) return fallback;
  if (!/^\d{1,9}$/.test(text)) {
    throw HttpError.validation([
      {
        type: "int_parsing",
        loc: ["query", name],
        msg: "Input should be a valid integer, unable to parse string as an integer",
        input: text,
      },
    ]);
  }
  return Number(text);
}
