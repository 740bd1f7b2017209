import { basename, dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { listenFlags } from "@hdpo/http";
import { BACKEND_NAMES, type BackendName, isBackendName } from "@hdpo/tensor";
import { PRESET_NAMES, type PresetName } from "@hdpo/trainer";
import {
  DEFAULT_BODY_TIMEOUT_MS,
  DEFAULT_HEADERS_TIMEOUT_MS,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_JSON_DEPTH,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_RETRIEVE_TIMEOUT_MS,
} from "../http/learner-http-server";
import { LearnerServerError } from "../learner-server-error";

/** Everything the command line decides, as plain data. */
export interface LearnerCliOptions {
  help: boolean;
  host: string;
  port: number;
  /** The base checkpoint; for `--preset`, where its starting policy is written (inside the state directory). */
  checkpoint: string;
  /** Set with `--preset`: the checkpoint is that preset's starting policy, written at start when it is not there. */
  preset?: PresetName;
  stateDir: string;
  baseModelName: string;
  temperature: number;
  backend?: BackendName;
  maxModels: number;
  /** Undefined: sessions never expire (--session-timeout-sec -1). */
  sessionTimeoutMs?: number;
  retrieveTimeoutMs: number;
  maxResultBytes: number;
  maxBodyBytes: number;
  maxJsonDepth: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  bodyTimeoutMs: number;
  maxConnections: number;
  shutdownGraceMs: number;
}

export const DEFAULT_PORT = 8000;

/** The `--help` text. */
export const USAGE = `Usage: hdpo-learner --checkpoint DIR [--host H] [--port P] [--state-dir DIR] [options]

A Tinker-API training server (JSON under /api/v1: sessions, create_model, forward, forward_backward,
optim_step, save/load weights, sampling, futures) over the in-process tfjs learner. Every model is a
full-parameter copy of the checkpoint's weights with its own Adam. Prints one line when ready.

Model
  --checkpoint DIR          Hugging Face checkpoint folder (config.json, model.safetensors, tokenizer.json)
  --preset NAME             instead of --checkpoint: the starting policy of \`hdpo-train run --preset NAME\`
                            (quick or default, seed 0), written into the state directory on first start
  --base-model-name NAME    the base model's name for clients (default: the checkpoint folder's name)
  --temperature T           forward/forward_backward log-probs at logits / T (SkyRL's
                            trainer.algorithm.temperature; default 1)
  --backend NAME            tfjs backend: ${BACKEND_NAMES.join(", ")} (default: $HDPO_BACKEND, else wasm)
  --max-models N            models held at once; create_model beyond fails (default 32)

State
  --state-dir DIR           sessions, models, checkpoints, futures; a restarted server on the same
                            directory continues (default: <checkpoint>.learner-state beside the checkpoint)
  --session-timeout-sec S   unload the models of a session without a heartbeat for S seconds;
                            --session-timeout-sec=-1: never (default 300)
  --max-result-bytes N      finished results kept for retrieve_future, newest first (default 268435456)

Server
  --host H                  interface to bind (default 127.0.0.1)
  --port P                  port (default ${DEFAULT_PORT}; 0 picks a free one)
  --retrieve-timeout-sec S  how long retrieve_future waits before 408 (default ${DEFAULT_RETRIEVE_TIMEOUT_MS / 1000})
  --max-body-bytes N        largest request body before 413 (default ${DEFAULT_MAX_BODY_BYTES})
  --max-json-depth N        deepest JSON nesting of a body before 400 (default ${DEFAULT_MAX_JSON_DEPTH})
  --headers-timeout S       seconds to receive a request's headers (default ${DEFAULT_HEADERS_TIMEOUT_MS / 1000})
  --request-timeout S       seconds to receive a whole request, not counting its answer (default ${DEFAULT_REQUEST_TIMEOUT_MS / 1000})
  --body-timeout S          longest pause inside a body, in seconds (default ${DEFAULT_BODY_TIMEOUT_MS / 1000})
  --max-connections N       open connections at most (default ${DEFAULT_MAX_CONNECTIONS})
  --shutdown-grace S        seconds running jobs get on SIGINT/SIGTERM (default 10)
  --help                    show this text`;

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      help: { type: "boolean", default: false },
      ...listenFlags(DEFAULT_PORT),
      checkpoint: { type: "string" },
      preset: { type: "string" },
      "state-dir": { type: "string" },
      "base-model-name": { type: "string" },
      temperature: { type: "string", default: "1" },
      backend: { type: "string" },
      "max-models": { type: "string", default: "32" },
      "session-timeout-sec": { type: "string", default: "300" },
      "retrieve-timeout-sec": { type: "string", default: String(DEFAULT_RETRIEVE_TIMEOUT_MS / 1000) },
      "max-result-bytes": { type: "string", default: String(256 * 2 ** 20) },
      "max-body-bytes": { type: "string", default: String(DEFAULT_MAX_BODY_BYTES) },
      "max-json-depth": { type: "string", default: String(DEFAULT_MAX_JSON_DEPTH) },
      "headers-timeout": { type: "string", default: String(DEFAULT_HEADERS_TIMEOUT_MS / 1000) },
      "request-timeout": { type: "string", default: String(DEFAULT_REQUEST_TIMEOUT_MS / 1000) },
      "body-timeout": { type: "string", default: String(DEFAULT_BODY_TIMEOUT_MS / 1000) },
      "max-connections": { type: "string", default: String(DEFAULT_MAX_CONNECTIONS) },
      "shutdown-grace": { type: "string", default: "10" },
    },
  }).values;
}

/**
 * Reads the command line. Throws LearnerServerError with one line naming the bad flag; the CLI turns it into exit
 * code 2.
 */
export function parseCliOptions(argv: readonly string[]): LearnerCliOptions {
  let values: ReturnType<typeof parse>;
  try {
    values = parse(argv);
  } catch (error) {
    throw new LearnerServerError((error as Error).message);
  }
  if (values.help) return { help: true } as LearnerCliOptions;
  const preset = values.preset;
  if (preset !== undefined && values.checkpoint !== undefined) {
    throw new LearnerServerError("pass --checkpoint DIR or --preset NAME, not both");
  }
  if (preset !== undefined && !(PRESET_NAMES as readonly string[]).includes(preset)) {
    throw new LearnerServerError(
      `--preset must be one of ${PRESET_NAMES.join(", ")}, got ${JSON.stringify(preset)}`,
    );
  }
  if (preset === undefined && (values.checkpoint === undefined || values.checkpoint.trim() === "")) {
    throw new LearnerServerError(
      "--checkpoint DIR is required (the base model's Hugging Face folder), or --preset NAME",
    );
  }
  const presetStateDir = resolve(values["state-dir"] ?? `hdpo-learner-${preset}.learner-state`);
  const checkpoint =
    preset !== undefined ? join(presetStateDir, `base-${preset}`) : resolve(values.checkpoint ?? "");
  const backend = values.backend;
  if (backend !== undefined && !isBackendName(backend)) {
    throw new LearnerServerError(
      `--backend must be one of ${BACKEND_NAMES.join(", ")}, got ${JSON.stringify(backend)}`,
    );
  }
  const temperature = Number(values.temperature);
  if (values.temperature.trim() === "" || !Number.isFinite(temperature) || temperature <= 0) {
    throw new LearnerServerError(
      `--temperature must be a number > 0, got ${JSON.stringify(values.temperature)}`,
    );
  }
  const sessionTimeout = values["session-timeout-sec"];
  const sessionTimeoutMs =
    sessionTimeout.trim() === "-1" ? undefined : seconds("session-timeout-sec", sessionTimeout);
  const headersTimeoutMs = seconds("headers-timeout", values["headers-timeout"]);
  const requestTimeoutMs = seconds("request-timeout", values["request-timeout"]);
  if (headersTimeoutMs > requestTimeoutMs) {
    throw new LearnerServerError(
      `--headers-timeout (${headersTimeoutMs / 1000} s) must not exceed --request-timeout (${requestTimeoutMs / 1000} s)`,
    );
  }
  const baseModelName =
    values["base-model-name"] ?? (preset !== undefined ? `hdpo-${preset}` : basename(checkpoint));
  if (baseModelName.trim() === "") throw new LearnerServerError("--base-model-name must not be empty");
  return {
    help: false,
    host: values.host,
    port: integer("port", values.port, 0, 65535),
    checkpoint,
    ...(preset !== undefined ? { preset: preset as PresetName } : {}),
    stateDir:
      preset !== undefined
        ? presetStateDir
        : resolve(values["state-dir"] ?? join(dirname(checkpoint), `${basename(checkpoint)}.learner-state`)),
    baseModelName,
    temperature,
    ...(backend !== undefined ? { backend } : {}),
    maxModels: integer("max-models", values["max-models"], 1, 100_000),
    ...(sessionTimeoutMs !== undefined ? { sessionTimeoutMs } : {}),
    retrieveTimeoutMs: seconds("retrieve-timeout-sec", values["retrieve-timeout-sec"]),
    maxResultBytes: integer("max-result-bytes", values["max-result-bytes"], 2 ** 20, 2 ** 40),
    maxBodyBytes: integer("max-body-bytes", values["max-body-bytes"], 1024, 2 ** 31),
    maxJsonDepth: integer("max-json-depth", values["max-json-depth"], 8, 10_000),
    headersTimeoutMs,
    requestTimeoutMs,
    bodyTimeoutMs: seconds("body-timeout", values["body-timeout"]),
    maxConnections: integer("max-connections", values["max-connections"], 1, 1_000_000),
    shutdownGraceMs: seconds("shutdown-grace", values["shutdown-grace"]),
  };
}

function integer(name: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d{1,15}$/.test(text) || value < min || value > max) {
    throw new LearnerServerError(
      `--${name} must be an integer in [${min}, ${max}], got ${JSON.stringify(text)}`,
    );
  }
  return value;
}

function seconds(name: string, text: string): number {
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value) || value <= 0) {
    throw new LearnerServerError(`--${name} must be a number of seconds > 0, got ${JSON.stringify(text)}`);
  }
  return Math.max(1, Math.round(value * 1000));
}
