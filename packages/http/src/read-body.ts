import type { IncomingMessage } from "node:http";
import { HttpError } from "./http-error";

/** How {@link readBody} bounds an upload. */
export interface BodyLimits {
  /** Largest body (bytes); more is a 413. */
  maxBytes: number;
  /** Longest pause between two chunks of the body (ms); longer is a 408. */
  idleTimeoutMs: number;
  /**
   * What the 413 tells the client to do, after "Request body exceeds N bytes; ". Default "send a smaller body or
   * raise --max-body-bytes".
   */
  tooLargeAdvice?: string;
  /** What the 408 tells the client to do, after "no bytes for S s; ". Default "send the body without pauses". */
  stallAdvice?: string;
}

/**
 * Reads a request body of at most `maxBytes`. A declared or streamed size over the limit is a 413; a client that
 * stops sending for `idleTimeoutMs` is a 408 (a slow upload must not hold a slot for ever). Either way the rest of
 * the upload is not read, and the error carries `connection: close` so the server ends the connection after the
 * answer and the client stops sending.
 */
export function readBody(request: IncomingMessage, limits: BodyLimits): Promise<Buffer> {
  const { maxBytes, idleTimeoutMs } = limits;
  const tooLarge = () =>
    new HttpError(
      413,
      `Request body exceeds ${maxBytes} bytes; ${limits.tooLargeAdvice ?? "send a smaller body or raise --max-body-bytes"}.`,
      { connection: "close" },
    );
  const declared = Number(request.headers["content-length"]);
  if (Number.isFinite(declared) && declared > maxBytes) return Promise.reject(tooLarge());
  if (request.readableEnded) return Promise.resolve(Buffer.alloc(0));
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    // One timer re-armed per chunk (refresh is cheap), not one per chunk.
    const timer = setTimeout(() => {
      finish(
        new HttpError(
          408,
          `Request body stalled: no bytes for ${idleTimeoutMs / 1000} s; ${limits.stallAdvice ?? "send the body without pauses"}.`,
          { connection: "close" },
        ),
      );
    }, idleTimeoutMs);
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        finish(tooLarge());
        return;
      }
      chunks.push(chunk);
      timer.refresh();
    };
    const onEnd = () => finish(undefined);
    const onError = (error: Error) =>
      finish(new HttpError(400, `Request body could not be read: ${error.message}`, { connection: "close" }));
    const onClose = () =>
      finish(
        new HttpError(400, "The client closed the connection before the body ended.", {
          connection: "close",
        }),
      );
    const finish = (error: HttpError | undefined) => {
      clearTimeout(timer);
      request.off("data", onData);
      request.off("end", onEnd);
      request.off("error", onError);
      request.off("close", onClose);
      if (error === undefined) {
        resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
      } else {
        // Stop buffering what the client still sends; the answer closes the connection.
        request.pause();
        reject(error);
      }
    };
    request.on("data", onData);
    request.once("end", onEnd);
    request.once("error", onError);
    request.once("close", onClose);
  });
}
