import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { charTokenizer } from "./char-tokenizer";
import { applyLimits, type Generation, type ScriptedReply } from "./scripted-generation";
import { chatCompletionBody, chatCompletionChunks, completionBody, completionChunks } from "./wire-format";

/** A failure the server plays instead of answering one request. */
export type ScriptedFailure =
  | { kind: "status"; status: number; retryAfter?: string; message?: string }
  | { kind: "reset" }
  | { kind: "hang" };

/** One request the server received (failed ones included). */
export interface RecordedRequest {
  method: string;
  /** Path without the `/v1` prefix, e.g. "/chat/completions". */
  path: string;
  body: Record<string, unknown> | undefined;
  /** What the server did: "ok" or the failure kind it played. */
  outcome: "ok" | "status" | "reset" | "hang" | "error";
  /** What the model sampled for a generation request it answered: the tokens (ids, log-probs) and text sent back. */
  generation?: Generation;
}

/** Options of {@link createTestOpenAIServer}. */
export interface TestOpenAIServerOptions {
  /** Model ids `/models` lists (default `["test-model"]`). */
  models?: string[];
  /** Reply when the queue is empty (default: text "ok"). A function sees the request body. */
  defaultReply?: ScriptedReply | ((body: Record<string, unknown>) => ScriptedReply);
}

/** A running scripted server; see {@link createTestOpenAIServer}. */
export interface TestOpenAIServer {
  /** Starts listening on 127.0.0.1 (port 0: a free one); resolves with the base URL `http://127.0.0.1:<port>/v1`. */
  listen(port?: number): Promise<string>;
  /** Queues replies for the next generation requests, in order. */
  enqueueReplies(...replies: ScriptedReply[]): void;
  /** Queues failures played on the next requests (any path), in order, before replies are used. */
  failNext(...failures: ScriptedFailure[]): void;
  /** Every request received, in order. */
  readonly requests: RecordedRequest[];
  /** Closes the server and drops open (e.g. hanging) connections. */
  close(): Promise<void>;
}

/**
 * A scripted OpenAI-compatible server for tests: real HTTP on 127.0.0.1, the real wire format of `/models`,
 * `/chat/completions` and `/completions` (streaming off and on, SSE), log-probs (`return_tokens_as_token_ids`
 * as vLLM), stop strings cut the way vLLM cuts them (stripped, the tokens that formed them kept in log-probs),
 * native tool calls, and scriptable failures (status with Retry-After, connection reset, hang).
 * Tokens are UTF-16 code units ({@link charTokenizer}), or the ids a reply scripts (`tokenIds`); token-id prompts
 * (a list of ints) are accepted, and each request records what was sampled for it.
 */
export function createTestOpenAIServer(options: TestOpenAIServerOptions = {}): TestOpenAIServer {
  const models = options.models ?? ["test-model"];
  const replies: ScriptedReply[] = [];
  const failures: ScriptedFailure[] = [];
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  let counter = 0;

  const nextReply = (body: Record<string, unknown>): ScriptedReply => {
    const queued = replies.shift();
    if (queued !== undefined) return queued;
    const fallback = options.defaultReply ?? { text: "ok" };
    return typeof fallback === "function" ? fallback(body) : fallback;
  };

  const server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendError(res, 500, `test server failed: ${String(error)}`);
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? "/").replace(/\?.*$/, "").replace(/^\/v1(?=\/)/, "");
    const raw = await readBody(req);
    let body: Record<string, unknown> | undefined;
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        requests.push({ method: req.method ?? "", path, body: undefined, outcome: "error" });
        sendError(res, 400, "the request body is not JSON");
        return;
      }
    }
    const record: RecordedRequest = { method: req.method ?? "", path, body, outcome: "ok" };
    requests.push(record);
    const failure = failures.shift();
    if (failure !== undefined) {
      record.outcome = failure.kind;
      if (failure.kind === "reset") req.socket.destroy();
      else if (failure.kind === "status") {
        const headers: Record<string, string> =
          failure.retryAfter === undefined ? {} : { "retry-after": failure.retryAfter };
        sendError(res, failure.status, failure.message ?? `scripted failure ${failure.status}`, headers);
      }
      return;
    }
    if (req.method === "GET" && path === "/models") {
      sendJson(res, 200, {
        object: "list",
        data: models.map((id) => ({ id, object: "model", created: 0, owned_by: "test" })),
      });
      return;
    }
    if (
      req.method !== "POST" ||
      (path !== "/chat/completions" && path !== "/completions") ||
      body === undefined
    ) {
      record.outcome = "error";
      sendError(res, 404, `no route ${req.method} ${path}`);
      return;
    }
    const model = typeof body.model === "string" ? body.model : "";
    if (!models.includes(model)) {
      record.outcome = "error";
      sendError(res, 404, `The model \`${model}\` does not exist.`);
      return;
    }
    const reply = nextReply(body);
    const stop =
      typeof body.stop === "string" ? [body.stop] : Array.isArray(body.stop) ? body.stop.map(String) : [];
    const maxTokens =
      typeof body.max_completion_tokens === "number" ? body.max_completion_tokens : body.max_tokens;
    const generation = applyLimits(reply, {
      maxTokens: typeof maxTokens === "number" ? maxTokens : undefined,
      stop,
      includeStop: body.include_stop_str_in_output === true,
    });
    record.generation = generation;
    const common = {
      id: `cmpl-${++counter}`,
      model,
      created: Math.floor(Date.now() / 1000),
      generation,
      naming: { asTokenIds: body.return_tokens_as_token_ids === true },
      promptTokens: promptTokenCount(body),
    };
    const includeUsage =
      (body.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true;
    if (path === "/chat/completions") {
      const args = { ...common, toolCalls: reply.toolCalls, logprobs: body.logprobs === true };
      if (body.stream === true) sendSse(res, chatCompletionChunks({ ...args, includeUsage }));
      else sendJson(res, 200, chatCompletionBody(args));
    } else {
      const args = { ...common, logprobs: typeof body.logprobs === "number" };
      if (body.stream === true) sendSse(res, completionChunks({ ...args, includeUsage }));
      else sendJson(res, 200, completionBody(args));
    }
  }

  return {
    requests,
    listen(port = 0) {
      return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, "127.0.0.1", () => {
          const address = server.address();
          if (address === null || typeof address === "string")
            reject(new Error("test server has no TCP address"));
          else resolve(`http://127.0.0.1:${address.port}/v1`);
        });
      });
    },
    enqueueReplies(...more) {
      replies.push(...more);
    },
    failNext(...more) {
      failures.push(...more);
    },
    close() {
      return new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      });
    },
  };
}

function promptTokenCount(body: Record<string, unknown>): number {
  if (Array.isArray(body.prompt)) return body.prompt.length;
  if (typeof body.prompt === "string") return charTokenizer.encode(body.prompt).length;
  return charTokenizer.encode(JSON.stringify(body.messages ?? "")).length;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

function sendError(
  res: ServerResponse,
  status: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  sendJson(res, status, { error: { message, type: "scripted_error", param: null, code: status } }, headers);
}

function sendSse(res: ServerResponse, chunks: readonly unknown[]): void {
  res.writeHead(200, {
    "content-type": "text/event-stream",
    "cache-control": "no-cache",
    connection: "keep-alive",
  });
  for (const chunk of chunks) res.write(`data: ${JSON.stringify(chunk)}\n\n`);
  res.end("data: [DONE]\n\n");
}
