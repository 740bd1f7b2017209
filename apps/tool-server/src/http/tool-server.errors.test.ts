import { afterEach, describe, expect, it } from "vitest";
import type { ToolRuntimePort } from "../runtime-port";
import { descendants, eventually } from "../test-support/processes";
import {
  getJson,
  jsonOf,
  startToolServerFixture,
  stdoutOf,
  type ToolServerFixture,
  toolCall,
} from "../test-support/tool-server-fixture";
import { createToolServer } from "./tool-server";

const fixtures: ToolServerFixture[] = [];
async function start(options: Parameters<typeof startToolServerFixture>[0]) {
  const fixture = await startToolServerFixture(options);
  fixtures.push(fixture);
  return fixture;
}
afterEach(async () => {
  await Promise.all(fixtures.splice(0).map((f) => f.close()));
});

const sleepCall = (seconds: number) =>
  toolCall("python", { code: `import time\ntime.sleep(${seconds})\nprint('slept')` });

describe("overload and failures", () => {
  it("answers 503 with a clear detail when the runtime queue is full, and keeps serving", async () => {
    const fixture = await start({ runtime: { maxQueue: 2, workers: 1 } });
    const replies = await Promise.all(
      Array.from({ length: 6 }, (_, i) => fixture.act(`busy-${i}`, sleepCall(1))),
    );
    const statuses = replies.map((r) => r.status);
    expect(statuses.filter((s) => s === 503).length).toBeGreaterThan(0);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThan(0);
    const rejected = replies.find((r) => r.status === 503)!;
    expect((rejected.observation as { detail: string }).detail).toMatch(/overloaded/i);
    const after = await fixture.python("after-overload", "print('still here')");
    expect(stdoutOf(after)).toBe("still here");
    const metrics = await getJson(`${fixture.url}/metrics`);
    expect(metrics.http.overloaded).toBe(statuses.filter((s) => s === 503).length);
  });

  it("a batch partly over the queue: the admitted entries keep their answers, the rest get an overload error each", async () => {
    const fixture = await start({ runtime: { maxQueue: 2, workers: 1 } });
    const ids = ["part-0", "part-1", "part-2", "part-3"];
    const reply = await fixture.post({
      trajectory_ids: ids,
      actions: ids.map(() => toolCall("python", { code: "print('ran')" })),
    });
    // The first two ran, so a 503 (and the client's retry) would run them twice.
    expect(reply.status).toBe(200);
    const { observations, valids } = reply.json;
    expect(stdoutOf(observations[0].obs)).toBe("ran");
    expect(stdoutOf(observations[1].obs)).toBe("ran");
    for (const index of [2, 3]) {
      expect(observations[index].error).toMatch(/^Tool processing failed: Tool runtime overloaded/);
    }
    expect(valids).toEqual([true, true, false, false]);
  });

  it("answers 503 beyond maxConcurrentRequests", async () => {
    const fixture = await start({ server: { maxConcurrentRequests: 1 } });
    const slow = fixture.act("slow", sleepCall(2));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const rejected = await fixture.act("second", toolCall("python", { code: "print(1)" }));
    expect(rejected.status).toBe(503);
    expect((await slow).status).toBe(200);
  });

  it("gives an entry whose runtime call throws its own error observation (the reference's shape), and keeps serving", async () => {
    const fixture = await start({});
    const real = fixture.runtime;
    // A runtime that fails for one id only: the server's per-entry isolation is what is under test.
    const exploding: ToolRuntimePort = {
      handle: (request) =>
        request.trajectoryId === "explode" ? Promise.reject(new TypeError("kaboom")) : real.handle(request),
      close: (id) => real.close(id),
      stats: () => real.stats(),
      get sandbox() {
        return real.sandbox;
      },
      shutdown: () => real.shutdown(),
    };
    const server = createToolServer({ runtime: exploding, workers: 2, mcp: false });
    const { url } = await server.listen(0);
    try {
      const post = (id: string) =>
        fetch(`${url}/get_observation`, {
          method: "POST",
          body: JSON.stringify({ trajectory_ids: [id], actions: [toolCall("python", { code: "print(3)" })] }),
        });
      const failed = await post("explode");
      expect(failed.status).toBe(200);
      expect(await jsonOf(failed)).toMatchObject({
        observations: [{ obs: "", error: "Tool processing failed: kaboom", tool_type: "metis" }],
        dones: [true],
        valids: [false],
      });
      const ok = await post("fine");
      expect(ok.status).toBe(200);
      expect(stdoutOf((await jsonOf(ok)).observations[0].obs)).toBe("3");
    } finally {
      await server.close({ graceMs: 0, shutdownRuntime: false });
    }
  });
});

describe("graceful close", () => {
  it("lets in-flight requests finish, refuses new ones and kills every child", async () => {
    const fixture = await startToolServerFixture({});
    const inFlight = fixture.act("in-flight", sleepCall(1));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(descendants(process.pid).length).toBeGreaterThan(0);
    // A grace far longer than the call: on a loaded machine the session's start (sandbox, seccomp, inode remount)
    // and the 1 s sleep together can outlast the fixture's default of 1 s, and the call would be aborted.
    const closed = fixture.server.close({ graceMs: 20_000 });
    const reply = await inFlight;
    expect(reply.status).toBe(200);
    expect(stdoutOf((reply.observation as { obs: string }).obs)).toBe("slept");
    await closed;
    await fixture.close();
    await expect(fetch(`${fixture.url}/health`)).rejects.toThrow();
    expect(await eventually(() => descendants(process.pid).length === 0)).toBe(true);
  });

  it("aborts what is still running when the grace period ends", async () => {
    const fixture = await startToolServerFixture({});
    const stuck = fixture.act("stuck", sleepCall(15)).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 500));
    await fixture.server.close({ graceMs: 200 });
    await fixture.close();
    const outcome = (await stuck) as { status?: number; observation?: { obs?: string } } | Error;
    // Aborted: the connection dropped, or the killed session answered; the 15 s sleep never completed.
    if (!(outcome instanceof Error)) expect(outcome.observation?.obs ?? "").not.toContain("slept");
    expect(await eventually(() => descendants(process.pid).length === 0)).toBe(true);
  });
});
