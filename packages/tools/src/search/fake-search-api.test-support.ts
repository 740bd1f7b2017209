import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

/** A request as the fake API received it. */
export interface ReceivedSearchRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: unknown;
}

/** What the fake does with one request. */
export type FakeReply =
  | { status?: number; json?: unknown; text?: string; contentType?: string }
  | { hang: true };

export interface FakeSearchApi {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  requests: ReceivedSearchRequest[];
  close(): Promise<void>;
}

/**
 * A node:http server on 127.0.0.1 (port 0) standing in for a hosted search API: it records each request and
 * answers `reply(request)` (a JSON body in the provider's own wire format, an error status, or no answer).
 */
export async function startFakeSearchApi(
  reply: (request: ReceivedSearchRequest) => FakeReply,
): Promise<FakeSearchApi> {
  const requests: ReceivedSearchRequest[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const url = new URL(request.url ?? "/", "http://127.0.0.1");
      const raw = Buffer.concat(chunks).toString("utf8");
      const received: ReceivedSearchRequest = {
        method: request.method ?? "",
        path: url.pathname,
        query: url.searchParams,
        headers: request.headers,
        body: raw === "" ? undefined : JSON.parse(raw),
      };
      requests.push(received);
      const step = reply(received);
      if ("hang" in step) return;
      const status = step.status ?? 200;
      if (step.text !== undefined) {
        response.writeHead(status, { "content-type": step.contentType ?? "text/plain" });
        response.end(step.text);
        return;
      }
      response.writeHead(status, { "content-type": "application/json" });
      response.end(JSON.stringify(step.json ?? {}));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
