import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** A `/get_observation` request body as the server received it. */
export interface ObservationRequestBody {
  trajectory_ids: string[];
  actions: string[];
  finish?: boolean[];
  is_last_step?: boolean[];
  extra_fields?: Record<string, unknown>[];
}

/** How the test server answers one request. */
export type ScriptedReply =
  | { kind: "observation"; observation: unknown; done?: boolean; valid?: boolean }
  | { kind: "status"; status: number; body: string }
  | { kind: "hang" }
  | { kind: "raw"; body: string };

/** A running test server; `close()` also drops hanging connections. */
export interface VerlToolTestServer {
  url: string;
  requests: ObservationRequestBody[];
  close(): Promise<void>;
}

/**
 * Default script, in the shape of the Metis server (metis-protocol.md §2), driven by the tool name of the last
 * `<tool_call>` block so that concurrent trajectories need no shared order:
 * unparseable → "" invalid; "python" → object obs echoing the code; "search" → string obs; "done" → done=true;
 * "fail500" → HTTP 500; "hang" → never answers; "image" → object with one image; other names → "No handler" invalid.
 * A close request (`finish:[true]`) gets 500, as the shipped server without `finish.py`.
 */
export function metisLikeReply(body: ObservationRequestBody): ScriptedReply {
  if (body.finish?.[0] === true)
    return { kind: "status", status: 500, body: '{"detail":"Processing failed: \'finish\'"}' };
  const action = body.actions[0] ?? "";
  const blocks = [...action.matchAll(/<tool_call>([\s\S]*?)<\/tool_call>/g)];
  const last = blocks.at(-1)?.[1];
  let call: { name?: unknown; arguments?: Record<string, unknown> } | undefined;
  try {
    call = last === undefined ? undefined : JSON.parse(last);
  } catch {
    call = undefined;
  }
  if (call === undefined || typeof call !== "object" || call === null) {
    return { kind: "observation", observation: "", valid: false };
  }
  const args = call.arguments ?? {};
  switch (call.name) {
    case "python":
      return {
        kind: "observation",
        observation: {
          obs: `ran:${String(args.code)}`,
          image: [],
          metrics: { code_success: true },
          timeout: false,
        },
      };
    case "search":
      return { kind: "observation", observation: `results for ${String(args.query)}` };
    case "image":
      return {
        kind: "observation",
        observation: { obs: "see image", image: ["data:image/png;base64,AAAA"] },
      };
    case "done":
      return { kind: "observation", observation: { obs: "finished", error: "x" }, done: true, valid: false };
    case "fail500":
      return { kind: "status", status: 500, body: '{"detail":"Processing failed: boom"}' };
    case "hang":
      return { kind: "hang" };
    default:
      return {
        kind: "observation",
        observation: {
          obs: `Error: No handler found for tool '${String(call.name)}'.`,
          image: [],
          metrics: {},
          timeout: false,
        },
        valid: false,
      };
  }
}

/** Starts a verl-tool-protocol server on 127.0.0.1 (random port) answering with `script`. */
export async function startVerlToolTestServer(
  script: (body: ObservationRequestBody, index: number) => ScriptedReply = metisLikeReply,
): Promise<VerlToolTestServer> {
  const requests: ObservationRequestBody[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      if (req.method !== "POST" || req.url !== "/get_observation") {
        res.writeHead(404).end();
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as ObservationRequestBody;
      const index = requests.length;
      requests.push(body);
      const reply = script(body, index);
      switch (reply.kind) {
        case "hang":
          return;
        case "status":
          res.writeHead(reply.status, { "content-type": "application/json" }).end(reply.body);
          return;
        case "raw":
          res.writeHead(200, { "content-type": "application/json" }).end(reply.body);
          return;
        case "observation":
          res.writeHead(200, { "content-type": "application/json" }).end(
            JSON.stringify({
              observations: [reply.observation],
              dones: [reply.done ?? false],
              valids: [reply.valid ?? true],
              processing_time_ms: 1,
              queue_time_ms: 0,
            }),
          );
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
