import { describe, expect, it } from "vitest";
import { z } from "zod";
import { LearnerError } from "../learner-error";
import { errorDetail, NoAnswerError, TinkerHttp, type TinkerHttpOptions } from "./http";
import { FAKE_BASE_URL, type FakeAnswer, fakeFetch } from "./test-fetch";

function http(fetch: typeof globalThis.fetch, options: Partial<TinkerHttpOptions> = {}): TinkerHttp {
  return new TinkerHttp({
    baseUrl: `${FAKE_BASE_URL}/`,
    apiKey: "tml-secret-key",
    fetch,
    requestTimeoutMs: 2_000,
    retries: 2,
    retryDelayMs: 1,
    maxRetryDelayMs: 4,
    maxResponseBytes: 1 << 20,
    ...options,
  });
}

/** Answers in turn, then the last one again. */
function sequence(...answers: FakeAnswer[]) {
  let i = 0;
  return () => answers[Math.min(i++, answers.length - 1)]!;
}

const Ok = z.object({ ok: z.literal(true) });

describe("TinkerHttp", () => {
  it("sends the API key as X-API-Key and asks for JSON", async () => {
    const fake = fakeFetch({ "GET /api/v1/healthz": () => ({ status: 200, body: { ok: true } }) });
    await http(fake.fetch).call("GET", "/api/v1/healthz", undefined, Ok, { what: "t", idempotent: true });
    expect(fake.calls[0]!.headers["X-API-Key"]).toBe("tml-secret-key");
    expect(fake.calls[0]!.headers.Accept).toBe("application/json");
  });

  it("retries an idempotent request after a 503 and a network error", async () => {
    const fake = fakeFetch({
      "POST /api/v1/forward": sequence({ status: 503, body: { detail: "busy" } }, "network", {
        status: 200,
        body: { ok: true },
      }),
    });
    const answer = await http(fake.fetch).call("POST", "/api/v1/forward", { seq_id: 1 }, Ok, {
      what: "forward",
      idempotent: true,
    });
    expect(answer).toEqual({ ok: true });
    expect(fake.calls).toHaveLength(3);
    // The retried body is the same one: the server deduplicates by seq_id.
    expect(fake.calls.map((call) => call.body)).toEqual([{ seq_id: 1 }, { seq_id: 1 }, { seq_id: 1 }]);
  });

  it("sends a non-idempotent request once and reports the server's detail", async () => {
    const fake = fakeFetch({
      "POST /api/v1/create_model": () => ({ status: 503, body: { detail: "engine down" } }),
    });
    const call = http(fake.fetch).call("POST", "/api/v1/create_model", {}, Ok, {
      what: "connect",
      idempotent: false,
    });
    await expect(call).rejects.toThrow(
      "connect: the server answered HTTP 503 to http://127.0.0.1:9/api/v1/create_model: engine down",
    );
    expect(fake.calls).toHaveLength(1);
  });

  it("gives up after the retries with one line naming the URL and the cause, never the key", async () => {
    const fake = fakeFetch({ "GET /api/v1/healthz": () => "network" });
    const error = await http(fake.fetch)
      .send("GET", "/api/v1/healthz", undefined, { what: "connect", idempotent: true })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NoAnswerError);
    expect((error as NoAnswerError).reason).toBe("ECONNREFUSED");
    expect((error as Error).message).toContain(
      "http://127.0.0.1:9/api/v1/healthz did not answer after 3 tries",
    );
    expect((error as Error).message).not.toContain("tml-secret-key");
    expect((error as Error).message).not.toContain("\n");
    expect(fake.calls).toHaveLength(3);
  });

  it("aborts an exchange at the request timeout and retries it", async () => {
    const fake = fakeFetch({
      "POST /api/v1/optim_step": sequence("hang", { status: 200, body: { ok: true } }),
    });
    const answer = await http(fake.fetch, { requestTimeoutMs: 30 }).call(
      "POST",
      "/api/v1/optim_step",
      {},
      Ok,
      {
        what: "optimStep",
        idempotent: true,
      },
    );
    expect(answer).toEqual({ ok: true });
    expect(fake.calls).toHaveLength(2);
  });

  it("reports a timeout when every try hangs", async () => {
    const fake = fakeFetch({ "POST /api/v1/forward": () => "hang" });
    const send = http(fake.fetch, { requestTimeoutMs: 20, retries: 1 }).send(
      "POST",
      "/api/v1/forward",
      {},
      {
        what: "forward",
        idempotent: true,
      },
    );
    await expect(send).rejects.toThrow("(no answer within 20 ms)");
  });

  it("refuses a body past the size cap", async () => {
    const fake = fakeFetch({ "GET /big": () => ({ status: 200, raw: `"${"x".repeat(5000)}"` }) });
    const send = http(fake.fetch, { maxResponseBytes: 1000 }).send("GET", "/big", undefined, {
      what: "t",
      idempotent: true,
    });
    await expect(send).rejects.toThrow("larger than 1000 bytes");
  });

  it("names the field of an answer that does not follow the protocol", async () => {
    const fake = fakeFetch({ "GET /x": () => ({ status: 200, body: { ok: "yes" } }) });
    const call = http(fake.fetch).call("GET", "/x", undefined, Ok, { what: "connect", idempotent: true });
    await expect(call).rejects.toThrow(LearnerError);
    await expect(call).rejects.toThrow(/does not follow the Tinker protocol \(ok: /);
  });

  it("reads a non-JSON body as no detail", async () => {
    const fake = fakeFetch({ "GET /x": () => ({ status: 502, raw: "<html>bad gateway</html>" }) });
    const call = http(fake.fetch, { retries: 0 }).call("GET", "/x", undefined, Ok, {
      what: "t",
      idempotent: true,
    });
    await expect(call).rejects.toThrow("answered HTTP 502 to http://127.0.0.1:9/x: (no detail)");
  });
});

describe("errorDetail", () => {
  it("summarises FastAPI's 422 list and strips control characters", () => {
    const body = {
      detail: [
        { loc: ["body", "model_id"], msg: "Field required" },
        { loc: ["body", "seq_id"], msg: "Input should be\na valid integer" },
        { loc: ["body"], msg: "x" },
        { loc: ["body"], msg: "y" },
      ],
    };
    expect(errorDetail(body)).toBe(
      "body.model_id: Field required; body.seq_id: Input should be a valid integer; body: x (+1 more)",
    );
    expect(errorDetail({ detail: "a".repeat(1000) })).toHaveLength(401);
    expect(errorDetail("nope")).toBe("(no detail)");
  });
});
