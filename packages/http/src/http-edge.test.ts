import { createServer, type Server } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { closeServer } from "./close-server";
import { HttpError, MAX_VALIDATION_DETAILS } from "./http-error";
import { listen } from "./listen";
import { parseJsonBody } from "./parse-json-body";
import { readBody } from "./read-body";
import { sendError, sendJson } from "./send-json";

let server: Server | undefined;
afterEach(async () => {
  if (server !== undefined) await closeServer(server);
  server = undefined;
});

/** A real server on 127.0.0.1 that echoes a bounded JSON body, its errors through `sendError`. */
async function echoServer(reportInput: boolean): Promise<string> {
  server = createServer((request, response) => {
    (async () => {
      if (request.url === "/boom") throw new Error("kaput");
      const body = await readBody(request, {
        maxBytes: 64,
        idleTimeoutMs: 5_000,
        tooLargeAdvice: "send less",
      });
      sendJson(response, 200, parseJsonBody(body, { maxDepth: 3, tooDeepAdvice: "flatten it", reportInput }));
    })().catch((error: unknown) => {
      if (error instanceof HttpError && error.headers.connection === "close")
        response.once("finish", () => request.destroy());
      sendError(response, error, "Processing failed");
    });
  });
  const listening = await listen(server, 0, "127.0.0.1");
  expect(listening.loopback).toBe(true);
  return listening.url;
}

const post = async (url: string, body: string) => {
  const response = await fetch(url, { method: "POST", body });
  return { status: response.status, json: (await response.json()) as { detail: unknown } };
};

describe("the HTTP edge over a real server", () => {
  it("echoes a body within the limits (positive control)", async () => {
    const url = await echoServer(false);
    expect(await post(url, '{"a": [1]}')).toEqual({ status: 200, json: { a: [1] } });
  });

  it("answers 413, 400, 422 and 500 with the caller's advice and FastAPI's shapes", async () => {
    const url = await echoServer(false);
    expect(await post(url, `"${"x".repeat(100)}"`)).toEqual({
      status: 413,
      json: { detail: "Request body exceeds 64 bytes; send less." },
    });
    expect(await post(url, "[[[[1]]]]")).toEqual({
      status: 400,
      json: { detail: "Request body nests JSON arrays/objects deeper than 3 levels; flatten it." },
    });
    const invalid = await post(url, "{nope");
    expect(invalid.status).toBe(422);
    expect(invalid.json.detail).toEqual([
      { type: "json_invalid", loc: ["body"], msg: expect.stringMatching(/^JSON decode error: /) },
    ]);
    expect(await post(`${url}/boom`, "")).toEqual({
      status: 500,
      json: { detail: "Processing failed: kaput" },
    });
  });

  it("adds FastAPI's input to a 422 entry only for a server that reports it", async () => {
    const url = await echoServer(true);
    const invalid = await post(url, "{nope");
    expect(invalid.json.detail).toEqual([expect.objectContaining({ type: "json_invalid", input: null })]);
  });
});

describe("HttpError", () => {
  it("caps a 422 and summarizes inputs, keeping `input` off when the details have none", () => {
    const many = Array.from({ length: 30 }, (_, i) => ({
      type: "missing",
      loc: ["body", i],
      msg: "Field required",
    }));
    const plain = HttpError.validation(many).detail as object[];
    expect(plain).toHaveLength(MAX_VALIDATION_DETAILS + 1);
    expect(plain.every((d) => !("input" in d))).toBe(true);
    const withInput = HttpError.validation(many.map((d) => ({ ...d, input: new Array(5000) })))
      .detail as object[];
    expect(withInput[0]).toMatchObject({ input: "an array of 5000 items" });
    expect(withInput.at(-1)).toMatchObject({ type: "too_many_errors", input: null });
  });

  it("closing a server that never listened is not an error", async () => {
    await expect(closeServer(createServer())).resolves.toBeUndefined();
  });
});
