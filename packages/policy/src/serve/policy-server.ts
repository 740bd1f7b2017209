import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { listen, sendJson } from "@hdpo/http";
import type { DecoderModel } from "../model/decoder-model";
import { generate } from "../model/generate";
import { PolicyError } from "../policy-error";
import { handleChatCompletion } from "./chat-completions";
import { handleCompletion } from "./completions";
import { type GenerateFunction, GenerationBatcher } from "./generation-batcher";
import { readJsonBody, sendError } from "./http-io";
import { OpenAiApiError } from "./openai-api-error";
import type { GenerationDefaults, ServerContext } from "./server-context";
import type { ServerTokenizer } from "./token-log-probs";

/** Options of {@link createPolicyServer}. */
export interface PolicyServerOptions {
  model: DecoderModel;
  tokenizer: ServerTokenizer;
  /** The id `/v1/models` lists and requests must name. */
  modelName: string;
  /** Most sequences in one `generate` call (and in one request). Default 32. */
  maxBatchSize?: number;
  /** How long a request waits for others to share its `generate` call. Default 5 ms. */
  batchWindowMs?: number;
  defaults?: GenerationDefaults;
  /** Most tokens one request may ask for (sequences × max_tokens). Default 65,536. */
  maxRequestTokens?: number;
  /** Base seed of unseeded batches. Default: random per server. */
  seed?: number;
  /** Replaces `generate` (e.g. to count or time the batches). */
  generate?: GenerateFunction;
}

/** A running (or ready to run) OpenAI-compatible server. */
export interface PolicyServer {
  /** Starts listening; port 0 picks a free one. Resolves with the base URL, e.g. `http://127.0.0.1:8000/v1`. */
  listen(port: number, host?: string): Promise<{ url: string; port: number }>;
  /** Stops accepting connections, rejects queued generations and resolves once the server is closed. */
  close(): Promise<void>;
}

type Handler = (context: ServerContext, request: IncomingMessage, response: ServerResponse) => Promise<void>;

const ROUTES: Record<string, { method: "GET" | "POST"; handle: Handler }> = {
  "/health": { method: "GET", handle: async (_, __, response) => sendJson(response, 200, { status: "ok" }) },
  "/v1/models": {
    method: "GET",
    handle: async (context, _, response) =>
      sendJson(response, 200, {
        object: "list",
        data: [{ id: context.modelName, object: "model", created: context.created, owned_by: "hdpo" }],
      }),
  },
  "/v1/chat/completions": {
    method: "POST",
    handle: async (context, request, response) =>
      handleChatCompletion(context, await readJsonBody(request), response),
  },
  "/v1/completions": {
    method: "POST",
    handle: async (context, request, response) =>
      handleCompletion(context, await readJsonBody(request), response),
  },
};

/**
 * An OpenAI-compatible HTTP server (plain `node:http`) over an in-process `DecoderModel`: `GET /v1/models`,
 * `POST /v1/chat/completions`, `POST /v1/completions`, `GET /health`. Concurrent requests are batched into
 * shared `generate` calls (see `GenerationBatcher`). A failing request gets an OpenAI-shaped error and never
 * stops the server.
 */
export function createPolicyServer(options: PolicyServerOptions): PolicyServer {
  if (typeof options.modelName !== "string" || options.modelName.length === 0) {
    throw new PolicyError("createPolicyServer: modelName must be a non-empty string");
  }
  const maxBatchSize = options.maxBatchSize ?? 32;
  const maxRequestTokens = options.maxRequestTokens ?? 65_536;
  if (!Number.isInteger(maxRequestTokens) || maxRequestTokens < 1) {
    throw new PolicyError(
      `createPolicyServer: maxRequestTokens must be an integer ≥ 1, got ${maxRequestTokens}`,
    );
  }
  if (options.tokenizer.vocabSize > options.model.config.vocab_size) {
    throw new PolicyError(
      `createPolicyServer: the tokenizer has ${options.tokenizer.vocabSize} ids but the model's vocab_size is ${options.model.config.vocab_size}; use the tokenizer the model was trained with`,
    );
  }
  const batcher = new GenerationBatcher({
    model: options.model,
    codec: options.tokenizer,
    generate: options.generate ?? generate,
    maxBatchSize,
    batchWindowMs: options.batchWindowMs ?? 5,
    baseSeed: options.seed ?? Math.floor(Math.random() * 2 ** 32),
  });
  const context: ServerContext = {
    model: options.model,
    tokenizer: options.tokenizer,
    modelName: options.modelName,
    created: Math.floor(Date.now() / 1000),
    batcher,
    defaults: options.defaults ?? {},
    maxBatchSize,
    maxRequestTokens,
  };
  const server: Server = createServer((request, response) => {
    route(context, request, response).catch((error: unknown) => sendError(response, error));
  });
  return {
    async listen(port, host = "127.0.0.1") {
      const listening = await listen(server, port, host);
      return { url: `${listening.url}/v1`, port: listening.port };
    },
    close() {
      batcher.close();
      return new Promise((resolve, reject) => {
        server.close((error) => (error === undefined ? resolve() : reject(error)));
        server.closeAllConnections();
      });
    },
  };
}

async function route(
  context: ServerContext,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const path = new URL(request.url ?? "/", "http://localhost").pathname.replace(/\/+$/, "");
  const entry = ROUTES[path];
  if (entry === undefined) {
    throw new OpenAiApiError(
      404,
      `No route ${request.method} ${path}; this server serves ${Object.keys(ROUTES).join(", ")}.`,
      "not_found_error",
      null,
      "not_found",
    );
  }
  if (request.method !== entry.method) {
    response.setHeader("allow", entry.method);
    throw new OpenAiApiError(
      405,
      `${path} accepts ${entry.method} only, got ${request.method}.`,
      "invalid_request_error",
      null,
      "method_not_allowed",
    );
  }
  await entry.handle(context, request, response);
}
