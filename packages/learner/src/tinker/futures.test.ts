import { describe, expect, it } from "vitest";
import { z } from "zod";
import { type FuturePolling, retrieveFuture } from "./futures";
import { TinkerHttp } from "./http";
import { FAKE_BASE_URL, type FakeAnswer, fakeFetch } from "./test-fetch";

const polling: FuturePolling = { pollDelayMs: 1, maxPollDelayMs: 4, futureTimeoutMs: 10_000, retries: 2 };
const Result = z.object({ metrics: z.record(z.string(), z.number()) });
const done = { status: 200, body: { metrics: { "skyrl.ai/grad_norm": 0.5 } } };

function poll(
  answers: FakeAnswer[],
  options: { requestTimeoutMs?: number; polling?: Partial<FuturePolling> } = {},
) {
  let i = 0;
  const fake = fakeFetch({
    "POST /api/v1/retrieve_future": () => answers[Math.min(i++, answers.length - 1)]!,
  });
  const http = new TinkerHttp({
    baseUrl: FAKE_BASE_URL,
    apiKey: "k",
    fetch: fake.fetch,
    requestTimeoutMs: options.requestTimeoutMs ?? 2_000,
    retries: 2,
    retryDelayMs: 1,
    maxRetryDelayMs: 4,
    maxResponseBytes: 1 << 20,
  });
  const result = retrieveFuture(http, "17", Result, "optimStep", { ...polling, ...options.polling });
  return { result, calls: fake.calls };
}

describe("retrieveFuture", () => {
  it("polls again after 408 (the server's long poll ran out)", async () => {
    const timeout = { status: 408, body: { detail: "Timeout waiting for result" } };
    const { result, calls } = poll([timeout, timeout, done]);
    await expect(result).resolves.toEqual({ metrics: { "skyrl.ai/grad_norm": 0.5 } });
    expect(calls).toHaveLength(3);
    expect(calls[0]!.body).toEqual({ request_id: "17" });
  });

  it("polls again after a 200 try_again body (hosted Tinker)", async () => {
    const { result, calls } = poll([{ status: 200, body: { type: "try_again", request_id: "17" } }, done]);
    await expect(result).resolves.toEqual({ metrics: { "skyrl.ai/grad_norm": 0.5 } });
    expect(calls).toHaveLength(2);
  });

  it("polls again after a client-side timeout", async () => {
    const { result, calls } = poll(["hang", done], { requestTimeoutMs: 20 });
    await expect(result).resolves.toBeDefined();
    expect(calls).toHaveLength(2);
  });

  it("rides out network errors and 5xx up to the retries", async () => {
    const { result } = poll(["network", { status: 503 }, done]);
    await expect(result).resolves.toBeDefined();
    const failing = poll(["network", { status: 503 }, { status: 500, body: { detail: "Unknown error" } }]);
    await expect(failing.result).rejects.toThrow(
      "optimStep: retrieving future 17 from http://127.0.0.1:9/api/v1/retrieve_future failed 3 times in a row " +
        "(HTTP 500: Unknown error)",
    );
  });

  it("turns 400 into the failed work's error", async () => {
    const { result } = poll([{ status: 400, body: { detail: "Model model_x not loaded" } }]);
    await expect(result).rejects.toThrow(
      "optimStep: the server failed the work (future 17): Model model_x not loaded",
    );
  });

  it("turns 404 into an unknown future", async () => {
    const { result } = poll([{ status: 404, body: { detail: "Future not found" } }]);
    await expect(result).rejects.toThrow("the server does not know future 17 (Future not found)");
  });

  it("checks the result's shape", async () => {
    const { result } = poll([{ status: 200, body: { metrics: { "skyrl.ai/grad_norm": "high" } } }]);
    await expect(result).rejects.toThrow(
      /does not follow the Tinker protocol \(metrics\.skyrl\.ai\/grad_norm/,
    );
  });

  it("gives up on a future that stays pending past futureTimeoutMs", async () => {
    const { result } = poll([{ status: 408 }], { polling: { futureTimeoutMs: 30 } });
    await expect(result).rejects.toThrow("future 17 is still pending after 30 ms");
  });
});
