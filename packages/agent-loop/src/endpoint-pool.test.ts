import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EndpointPool, type RetryEvent } from "./endpoint-pool";
import { backoffDelayMs, retryAfterMs } from "./endpoint-retry";
import { OpenAIChatPolicy } from "./openai-chat-policy";
import { OpenAIPolicyError } from "./openai-policy-error";
import { createTestOpenAIServer, type TestOpenAIServer } from "./test-openai-server/index";

let servers: TestOpenAIServer[];
let urls: string[];

beforeEach(async () => {
  servers = [createTestOpenAIServer(), createTestOpenAIServer()];
  urls = await Promise.all(servers.map((s) => s.listen()));
});
afterEach(() => Promise.all(servers.map((s) => s.close())));

const request = { messages: [{ role: "user" as const, content: "hi" }], sampling: { maxTokens: 8 } };
const fast = { baseDelayMs: 2, maxDelayMs: 20 };
const posts = (server: TestOpenAIServer) => server.requests.filter((r) => r.method === "POST");

describe("EndpointPool through OpenAIChatPolicy", () => {
  it("retries a 429 after its Retry-After, then a 500 after backoff, and the server sees all three", async () => {
    const [server] = servers;
    server!.failNext({ kind: "status", status: 429, retryAfter: "0.03" }, { kind: "status", status: 500 });
    const retries: RetryEvent[] = [];
    const policy = new OpenAIChatPolicy({
      baseURL: urls[0]!,
      model: "test-model",
      maxRetries: 3,
      pool: { ...fast, random: () => 0.5, onRetry: (e) => retries.push(e) },
    });
    expect((await policy.generate(request)).text).toBe("ok");
    expect(posts(server!).map((r) => r.outcome)).toEqual(["status", "status", "ok"]);
    // Retry-After "0.03" s → 30 ms; then backoff attempt 1: ceiling min(20, 2·2¹) = 4, wait 4/2 + 4/2·0.5 = 3 ms.
    expect(retries.map((r) => [r.attempt, r.status, r.delayMs])).toEqual([
      [1, 429, 30],
      [2, 500, 3],
    ]);
  });

  it("gives up after maxRetries with the last status in a clear error", async () => {
    servers[0]!.failNext(...Array.from({ length: 3 }, () => ({ kind: "status" as const, status: 503 })));
    const policy = new OpenAIChatPolicy({
      baseURL: urls[0]!,
      model: "test-model",
      maxRetries: 2,
      pool: fast,
    });
    const error = await policy.generate(request).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAIPolicyError);
    expect(error).toMatchObject({ code: "http-error", status: 503, attempts: 3 });
    expect((error as Error).message).toContain("HTTP 503 (3 attempts)");
    expect(posts(servers[0]!)).toHaveLength(3);
  });

  it("fails over when an endpoint is dead and keeps it out of rotation", async () => {
    await servers[0]!.close();
    const pool = { ...fast, deadCooldownMs: 60_000 };
    const policy = new OpenAIChatPolicy({ baseURL: urls, model: "test-model", maxRetries: 2, pool });
    for (let i = 0; i < 4; i++) expect((await policy.generate(request)).text).toBe("ok");
    expect(posts(servers[1]!)).toHaveLength(4);
  });

  it("retries a connection reset on the other replica", async () => {
    servers[0]!.failNext({ kind: "reset" });
    servers[1]!.failNext({ kind: "reset" });
    const policy = new OpenAIChatPolicy({ baseURL: urls, model: "test-model", maxRetries: 2, pool: fast });
    expect((await policy.generate(request)).text).toBe("ok");
    const outcomes = [...posts(servers[0]!), ...posts(servers[1]!)].map((r) => r.outcome).sort();
    expect(outcomes).toEqual(["ok", "reset", "reset"]);
  });

  it("keeps a trajectory on one replica (affinity) while round-robin would alternate", async () => {
    const policy = new OpenAIChatPolicy({ baseURL: urls, model: "test-model" });
    const ask = (key: string) => ({ ...request, messages: [{ role: "user" as const, content: key }] });
    for (let step = 0; step < 3; step++) {
      for (const key of ["t1", "t2"]) await policy.generate(ask(key), { affinityKey: key });
    }
    const keysSeen = servers.map((s) =>
      posts(s).map((r) => (r.body!.messages as { content: string }[])[0]!.content),
    );
    // t1 then t2 alternate, so without affinity each replica would see both keys; with it each sees one key 3 times.
    expect(keysSeen.map((keys) => new Set(keys).size)).toEqual([1, 1]);
    expect(keysSeen.map((keys) => keys.length)).toEqual([3, 3]);
  });

  it("takes the affinity key from the request (as the agent loop sets it) when the call gives none", async () => {
    const policy = new OpenAIChatPolicy({ baseURL: urls, model: "test-model" });
    const ask = (key: string) => ({
      ...request,
      affinityKey: key,
      messages: [{ role: "user" as const, content: key }],
    });
    for (let step = 0; step < 3; step++) {
      for (const key of ["t1", "t2"]) await policy.generate(ask(key));
    }
    const keysSeen = servers.map((s) =>
      posts(s).map((r) => (r.body!.messages as { content: string }[])[0]!.content),
    );
    expect(keysSeen.map((keys) => new Set(keys).size)).toEqual([1, 1]);
  });

  it("moves a trajectory when its replica dies, then stays on the new one", async () => {
    const policy = new OpenAIChatPolicy({
      baseURL: urls,
      model: "test-model",
      pool: { ...fast, deadCooldownMs: 60_000 },
    });
    await policy.generate(request, { affinityKey: "t" });
    const pinned = servers.findIndex((s) => posts(s).length === 1);
    const other = servers[1 - pinned]!;
    await servers[pinned]!.close();
    await policy.generate(request, { affinityKey: "t" });
    await policy.generate(request, { affinityKey: "t" });
    expect(posts(other)).toHaveLength(2);
  });
});

describe("EndpointPool", () => {
  it("probes a dead endpoint again after its cooldown and brings it back on success", async () => {
    let clock = 1000;
    const pool = new EndpointPool(["http://a/v1", "http://b/v1"], {
      deadCooldownMs: 100,
      baseDelayMs: 0,
      now: () => clock,
    });
    const { APIConnectionError } = await import("openai");
    await pool.run(async (url) => {
      if (url === "http://a/v1") throw new APIConnectionError({ message: "ECONNREFUSED" });
      return url;
    });
    expect(pool.snapshot().map((s) => s.healthy)).toEqual([false, true]);
    clock += 101;
    expect(pool.snapshot()[0]!.healthy).toBe(true);
    const seen = new Set<string>();
    for (let i = 0; i < 2; i++) seen.add(await pool.run(async (url) => url));
    expect(seen).toEqual(new Set(["http://a/v1", "http://b/v1"]));
  });

  it("passes errors that are not HTTP errors through unchanged, without retrying", async () => {
    const pool = new EndpointPool("http://a/v1", { maxRetries: 5 });
    let calls = 0;
    const boom = new TypeError("bug");
    await expect(
      pool.run(async () => {
        calls++;
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(calls).toBe(1);
  });

  it("stops retrying when the signal aborts", async () => {
    const pool = new EndpointPool("http://a/v1", { maxRetries: 5, baseDelayMs: 10_000 });
    const controller = new AbortController();
    const { InternalServerError } = await import("openai");
    const run = pool.run(
      async () => {
        setTimeout(() => controller.abort(), 5);
        throw new InternalServerError(500, undefined, "down", new Headers());
      },
      { signal: controller.signal },
    );
    await expect(run).rejects.toMatchObject({ code: "aborted" });
  });

  it("rejects bad options", () => {
    expect(() => new EndpointPool([])).toThrow(/at least one baseURL/);
    expect(() => new EndpointPool("localhost:8000")).toThrow(/not an http\(s\) URL/);
    expect(() => new EndpointPool(["http://a/v1", "http://a/v1/"])).toThrow(/twice/);
    expect(() => new EndpointPool("http://a/v1", { maxRetries: -1 })).toThrow(/maxRetries/);
    expect(() => new EndpointPool("http://a/v1", { baseDelayMs: Number.NaN })).toThrow(/baseDelayMs/);
  });
});

describe("backoff and Retry-After", () => {
  it("backoff stays within [ceiling/2, ceiling] with ceiling = min(max, base·2^attempt)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 40 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, r) => {
          const settings = { baseDelayMs: 100, maxDelayMs: 5000 };
          const ceiling = Math.min(5000, 100 * 2 ** attempt);
          const d = backoffDelayMs(attempt, settings, r);
          return d >= ceiling / 2 && d < ceiling + 1e-9 && Number.isFinite(d);
        },
      ),
    );
  });

  it("reads seconds, HTTP dates and retry-after-ms, and ignores junk", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(retryAfterMs(new Headers({ "retry-after": "2" }), now)).toBe(2000);
    expect(retryAfterMs(new Headers({ "retry-after": "Thu, 01 Jan 2026 00:00:03 GMT" }), now)).toBe(3000);
    expect(retryAfterMs(new Headers({ "retry-after-ms": "250", "retry-after": "9" }), now)).toBe(250);
    expect(retryAfterMs(new Headers({ "retry-after": "soon" }), now)).toBeUndefined();
    expect(retryAfterMs(new Headers({ "retry-after": "-4" }), now)).toBeUndefined();
    expect(retryAfterMs(undefined, now)).toBeUndefined();
  });
});
