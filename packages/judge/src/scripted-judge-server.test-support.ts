import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

/** What the server does with one chat-completion request. */
export type ScriptedStep =
  | { reply: string; delayMs?: number }
  | { status: number; delayMs?: number }
  | { hang: true };

/** A chat-completion request as the server received it. */
export interface ReceivedRequest {
  headers: IncomingHttpHeaders;
  body: {
    model: string;
    temperature?: number;
    messages: Array<{ role: string; content: string }>;
  };
}

/** A local OpenAI-compatible judge server whose replies follow a script. */
export interface ScriptedJudgeServer {
  /** `http://127.0.0.1:<port>/v1` */
  baseURL: string;
  requests: ReceivedRequest[];
  modelListings: number;
  /** The most chat-completion requests that were open at the same time. */
  maxInFlight: number;
  close(): Promise<void>;
}

/**
 * Starts a node:http server on 127.0.0.1 that speaks the OpenAI wire format: `GET /v1/models` lists
 * `models`, `POST /v1/chat/completions` answers the n-th request (0-based) with `script(n, request)`.
 */
export async function startScriptedJudgeServer(
  script: (index: number, request: ReceivedRequest) => ScriptedStep,
  models: string[] = ["judge-model"],
): Promise<ScriptedJudgeServer> {
  let inFlight = 0;
  const state: Omit<ScriptedJudgeServer, "baseURL" | "close"> = {
    requests: [],
    modelListings: 0,
    maxInFlight: 0,
  };
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const send = (status: number, body: unknown) => {
        response.writeHead(status, { "content-type": "application/json" });
        response.end(JSON.stringify(body));
      };
      if (request.method === "GET" && request.url === "/v1/models") {
        state.modelListings++;
        send(200, {
          object: "list",
          data: models.map((id) => ({ id, object: "model", created: 0, owned_by: "test" })),
        });
        return;
      }
      if (request.method !== "POST" || request.url !== "/v1/chat/completions") {
        send(404, { error: { message: `no route ${request.method} ${request.url}` } });
        return;
      }
      const received: ReceivedRequest = {
        headers: request.headers,
        body: JSON.parse(Buffer.concat(chunks).toString("utf8")),
      };
      const index = state.requests.push(received) - 1;
      inFlight++;
      state.maxInFlight = Math.max(state.maxInFlight, inFlight);
      response.on("close", () => inFlight--);
      const step = script(index, received);
      if ("hang" in step) return;
      setTimeout(() => {
        if ("status" in step) {
          send(step.status, { error: { message: `scripted ${step.status}`, type: "server_error" } });
        } else {
          send(200, {
            id: `chatcmpl-${index}`,
            object: "chat.completion",
            created: 0,
            model: received.body.model,
            choices: [
              { index: 0, message: { role: "assistant", content: step.reply }, finish_reason: "stop" },
            ],
          });
        }
      }, step.delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    baseURL: `http://127.0.0.1:${port}/v1`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
