import { mkdir, writeFile } from "node:fs/promises";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import { createImageSearch, createToolRuntime, UNRESTORED_SESSION_NOTICE } from "@hdpo/tools";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ToolRuntimePort } from "../runtime-port";
import { blankPng } from "../test-support/blank-png";
import {
  getJson,
  jsonOf,
  type PostResult,
  startToolServerFixture,
  stdoutOf,
  type ToolServerFixture,
  toolCall,
} from "../test-support/tool-server-fixture";
import { createToolServer, type ToolServer } from "./tool-server";

// A request must never take the server down or cost another client its answer (issue 17, findings 3, 7 and 8).
// Every case runs against one server instance while a control trajectory keeps getting exact answers, and at the
// end the instance is checked to be the one that started (its counters and uptime carried on).

const HEADERS_TIMEOUT_MS = 400;
const REQUEST_TIMEOUT_MS = 2000;
const BODY_TIMEOUT_MS = 400;
const MAX_REPLY_BYTES = 256 * 1024;
const MAX_CONCURRENT = 2;
/** A generous bound for "it ends" (the timeouts under test are well below a second or two). */
const GUARD_MS = 10_000;

let fixture: ToolServerFixture;
let imageDir: string;
/** A server over the fixture's runtime with a port that explodes or forges replies for some ids. */
let server: ToolServer;
let url: string;
let startMetrics: { uptime_seconds: number; http: { requests: number } };
let controlRuns = 0;

beforeAll(async () => {
  fixture = await startToolServerFixture({});
  imageDir = join(fixture.root, "images");
  await mkdir(imageDir);
  // The collection's one image is blank; a blank query of any size is the same picture (distance 0).
  await writeFile(join(imageDir, "blank.png"), await blankPng(64, 64));
  const imageSearch = await createImageSearch({ local: { dir: imageDir } });
  const real = fixture.runtime;
  // image_search goes to a Python-less runtime of its own (the fixture's has no image search).
  const imageRuntime = await createToolRuntime({ python: false, imageSearch });
  const port: ToolRuntimePort = {
    handle(request) {
      const id = request.trajectoryId;
      if (id.startsWith("explode")) return Promise.reject(new TypeError(`kaboom in ${id}`));
      if (id.startsWith("throw-sync")) throw new RangeError("thrown synchronously");
      if (id.startsWith("forged")) {
        // What a forged driver reply looked like: a huge observation the runtime passed on.
        return Promise.resolve({
          observation: { obs: "f".repeat(3 * MAX_REPLY_BYTES), metrics: {}, timeout: false },
          done: false,
          valid: true,
        });
      }
      if (id.startsWith("image")) return imageRuntime.handle(request);
      return real.handle(request);
    },
    close: (id) => real.close(id),
    stats: () => real.stats(),
    get sandbox() {
      return real.sandbox;
    },
    shutdown: async () => {
      await imageRuntime.shutdown();
    },
  };
  server = createToolServer({
    runtime: port,
    workers: 2,
    mcp: false,
    headersTimeoutMs: HEADERS_TIMEOUT_MS,
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    bodyTimeoutMs: BODY_TIMEOUT_MS,
    maxReplyBytes: MAX_REPLY_BYTES,
    maxConcurrentRequests: MAX_CONCURRENT,
  });
  ({ url } = await server.listen(0));
  startMetrics = await getJson(`${url}/metrics`);
});

afterAll(async () => {
  // The same instance answered everything: its counters and uptime only grew.
  const end = await getJson(`${url}/metrics`);
  expect(end.uptime_seconds).toBeGreaterThan(startMetrics.uptime_seconds);
  expect(end.http.requests).toBeGreaterThan(startMetrics.http.requests);
  await server?.close({ graceMs: 0 });
  await fixture?.close();
});

async function post(body: unknown): Promise<PostResult> {
  const response = await fetch(`${url}/get_observation`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    json: text === "" ? undefined : JSON.parse(text),
  };
}

async function python(id: string, code: string): Promise<string> {
  const reply = await post({ trajectory_ids: [id], actions: [toolCall("python", { code })] });
  expect(reply.status, JSON.stringify(reply.json)).toBe(200);
  return reply.json.observations[0].obs;
}

/** Three dependent calls on a fresh control trajectory; each answer must be exactly right. */
async function control(): Promise<void> {
  const id = `control-${controlRuns++}`;
  expect(stdoutOf(await python(id, "c = 6\nprint(c)"))).toBe("6");
  expect(stdoutOf(await python(id, "c *= 7\nprint(c)"))).toBe("42");
  expect(stdoutOf(await python(id, "print(c + 1, 'ok')"))).toBe("43 ok");
}

describe("finding 3: a request cannot crash the server", () => {
  it("a 390 KiB deeply nested body gets a 400 in one line, nothing echoed, and the server keeps answering", async () => {
    const nest = "[".repeat(200_000) + "]".repeat(200_000);
    const bodies = [
      `{"trajectory_ids":[${nest}],"actions":["x"]}`,
      `{"trajectory_ids":["a"],"actions":["x"],"extra_fields":[{"deep":${nest}}]}`,
      nest,
    ];
    for (const body of bodies) {
      const reply = await post(body);
      expect(reply.status).toBe(400);
      expect(typeof reply.json.detail).toBe("string");
      expect(reply.json.detail).toMatch(/deeper than 64 levels/);
      expect(reply.json.detail).not.toContain("\n");
    }
    await control();
  });

  it("a 422 names the problems but never echoes the values, and stays small for any number of them", async () => {
    const bad = Array.from({ length: 50_000 }, (_, i) => ({ item: "v".repeat(64), i }));
    const reply = await post({ trajectory_ids: bad, actions: [["z".repeat(100_000)]] });
    expect(reply.status).toBe(422);
    const text = JSON.stringify(reply.json);
    expect(text.length).toBeLessThan(10_000);
    expect(text).not.toContain("vvvv");
    expect(text).not.toContain("zzzz");
    expect(reply.json.detail[0]).toEqual({
      loc: ["body", "trajectory_ids", 0],
      msg: "Input should be a valid string",
      type: "string_type",
    });
    expect(reply.json.detail.at(-1).type).toBe("too_many_errors");
    // An over-long id is named, not repeated.
    const longId = await post({ trajectory_ids: ["i".repeat(1_000_000)], actions: [""] });
    expect(longId.status).toBe(422);
    expect(JSON.stringify(longId.json)).not.toContain("iiii");
    await control();
  });
});

describe("finding 7: one entry's failure stays in its entry", () => {
  it("a batch with throwing and forged entries answers 200, every other entry exactly, each ran once", async () => {
    const count = (id: string, code: string) => ({ id, action: toolCall("python", { code }) });
    const entries = [
      count("batch-a", "n = 1\nprint(n)"),
      { id: "explode-1", action: toolCall("python", { code: "print(1)" }) },
      count("batch-b", "m = 10\nprint(m)"),
      { id: "forged-1", action: toolCall("python", { code: "print(2)" }) },
      { id: "throw-sync-1", action: toolCall("python", { code: "print(3)" }) },
      count("batch-c", "print('c', 5 * 5)"),
    ];
    const reply = await post({
      trajectory_ids: entries.map((e) => e.id),
      actions: entries.map((e) => e.action),
    });
    expect(reply.status).toBe(200);
    const { observations, dones, valids } = reply.json;
    expect(stdoutOf(observations[0].obs)).toBe("1");
    expect(stdoutOf(observations[2].obs)).toBe("10");
    expect(stdoutOf(observations[5].obs)).toBe("c 25");
    expect(observations[1]).toEqual({
      obs: "",
      error: "Tool processing failed: kaboom in explode-1",
      tool_type: "metis",
    });
    expect(observations[3].error).toMatch(/over the reply limit of 262144 bytes/);
    expect(observations[4].error).toBe("Tool processing failed: thrown synchronously");
    expect(dones).toEqual([false, true, false, true, true, false]);
    expect(valids).toEqual([true, false, true, false, false, true]);
    // The successful entries ran exactly once: their state moved on by one step only.
    expect(stdoutOf(await python("batch-a", "n += 1\nprint(n)"))).toBe("2");
    expect(stdoutOf(await python("batch-b", "m += 1\nprint(m)"))).toBe("11");
    const metrics = await getJson(`${url}/metrics`);
    expect(metrics.http.failedEntries).toBeGreaterThanOrEqual(3);
    await control();
  });

  it("keeps a reply within --max-reply-bytes by failing the largest entries first", async () => {
    const big = (id: string, n: number) => ({
      id,
      action: toolCall("python", { code: `print('q' * ${n})` }),
    });
    const entries = [big("size-1", 100_000), big("size-2", 90_000), big("size-3", 80_000), big("size-4", 10)];
    const reply = await post({
      trajectory_ids: entries.map((e) => e.id),
      actions: entries.map((e) => e.action),
    });
    expect(reply.status).toBe(200);
    const { observations, valids } = reply.json;
    const text = JSON.stringify(reply.json);
    expect(text.length).toBeLessThanOrEqual(MAX_REPLY_BYTES + 2048);
    expect(valids[0]).toBe(false);
    expect(observations[0].error).toMatch(/did not fit in the batch's reply limit/);
    expect(stdoutOf(observations[1].obs)).toBe("q".repeat(90_000));
    expect(stdoutOf(observations[2].obs)).toBe("q".repeat(80_000));
    expect(stdoutOf(observations[3].obs)).toBe("q".repeat(10));
  });
});

/** A raw client that sends `first` and then, every `everyMs`, `trickle` (if any); resolves when the server closes. */
function slowClient(
  first: string,
  trickle?: { bytes: string; everyMs: number },
): Promise<{ received: string; closed: boolean }> {
  return new Promise((resolve) => {
    const socket: Socket = connect(Number(new URL(url).port), "127.0.0.1");
    let received = "";
    let timer: NodeJS.Timeout | undefined;
    const guard = setTimeout(() => {
      socket.destroy();
      resolve({ received, closed: false });
    }, GUARD_MS);
    socket.on("data", (data) => {
      received += data.toString("latin1");
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      clearTimeout(guard);
      if (timer !== undefined) clearInterval(timer);
      resolve({ received, closed: true });
    });
    socket.write(first);
    if (trickle !== undefined) {
      timer = setInterval(() => {
        if (!socket.destroyed) socket.write(trickle.bytes);
      }, trickle.everyMs);
    }
  });
}

describe("finding 8: slow clients, idle sessions, memory", () => {
  it("slow headers, a stalled body and a trickled body are all cut off with 408, while a normal request is answered", async () => {
    const head = (length: number) =>
      `POST /get_observation HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`;
    // More slow clients than request slots: none of them may hold a slot that real work needs.
    const slow = [
      ...Array.from({ length: 3 }, () => slowClient("POST /get_observation HTTP/1.1\r\nHost: 127.0.0.1\r\n")),
      ...Array.from({ length: 3 }, () => slowClient(`${head(1000)}{"trajectory_ids":`)),
      ...Array.from({ length: 3 }, () =>
        slowClient(`${head(100_000)}{"trajectory_ids":["`, { bytes: "t", everyMs: 100 }),
      ),
    ];
    // Meanwhile, normal traffic is served.
    await control();
    const results = await Promise.all(slow);
    for (const [i, result] of results.entries()) {
      expect(result.closed, `client ${i} was never cut off`).toBe(true);
      expect(result.received, `client ${i}`).toMatch(/^HTTP\/1\.1 408/);
    }
    // The stalled bodies were cut by the body timeout, with a line saying what to do.
    expect(results[3]!.received).toContain("Request body stalled");
    const metrics = await getJson(`${url}/metrics`);
    expect(metrics.http.requestTimeouts).toBeGreaterThanOrEqual(3);
    await control();
  });

  it("image_search refuses a 40-megapixel PNG from its header without decoding it", async () => {
    const search = (id: string, image: Buffer) =>
      post({
        trajectory_ids: [id],
        actions: [toolCall("image_search", {})],
        extra_fields: [{ images: [`data:image/png;base64,${image.toString("base64")}`] }],
      });
    // Positive control: the same blank picture, small, is found.
    const small = await search("image-small", await blankPng(48, 48));
    expect(small.status).toBe(200);
    expect(small.json.observations[0].metrics.search_success).toBe(true);
    const huge = await blankPng(8000, 5000);
    expect(huge.length).toBeLessThan(1024 * 1024);
    global.gc?.();
    const before = process.memoryUsage();
    const refused = await search("image-huge", huge);
    const after = process.memoryUsage();
    expect(refused.status).toBe(200);
    expect(refused.json.observations[0].metrics.search_success).toBe(false);
    // Decoding would have allocated 160 MB of RGBA and 160 MB of luma in this process.
    expect(after.arrayBuffers - before.arrayBuffers).toBeLessThan(64 * 1024 * 1024);
    expect(after.rss - before.rss).toBeLessThan(128 * 1024 * 1024);
    await control();
  });
});

describe("replay history under a global cap (through HTTP)", () => {
  let replay: ToolServerFixture;
  beforeAll(async () => {
    // One live session: every switch of trajectory evicts the other, so the next call has to replay.
    replay = await startToolServerFixture({
      runtime: { maxSessions: 1, workers: 1, maxReplayBytes: 40 * 1024 },
    });
  });
  afterAll(async () => {
    await replay?.close();
  });

  it("drops the least recently used history first; that trajectory restarts clean with the notice, the other replays", async () => {
    const pad = (char: string) => `  # ${char.repeat(12_000)}`;
    expect(stdoutOf(await replay.python("keep-a", `a = 41${pad("a")}\nprint(a)`))).toBe("41");
    // B's history pushes the total (2 bytes a character) over 40 KiB: A's, used least recently, is dropped.
    expect(stdoutOf(await replay.python("keep-b", `b = 7${pad("b")}\nprint(b)`))).toBe("7");
    const metrics = await getJson(`${replay.url}/metrics`);
    expect(metrics.runtime.replayHistoriesDropped).toBe(1);
    expect(metrics.runtime.replayBytes).toBeLessThanOrEqual(40 * 1024);
    // A's session was evicted for B's, and its history is gone: a clean start that says so.
    const a = await replay.python("keep-a", "print(a + 1)");
    expect(a.startsWith(UNRESTORED_SESSION_NOTICE)).toBe(true);
    expect(a).toContain("NameError");
    // B's session was evicted for A's; its history is kept, so it is replayed and its state is exact.
    const b = await replay.python("keep-b", "print(b * 6)");
    expect(stdoutOf(b)).toBe("42");
    expect(b).not.toContain("Note:");
    const after = await getJson(`${replay.url}/metrics`);
    expect(after.runtime.replays).toBeGreaterThanOrEqual(1);
  });
});

describe("connection cap", () => {
  it("closes connections beyond maxConnections at once, and serves again when one goes", async () => {
    const capped = createToolServer({ runtime: fixture.runtime, workers: 2, mcp: false, maxConnections: 2 });
    const { url: cappedUrl } = await capped.listen(0);
    const port = Number(new URL(cappedUrl).port);
    const open = () =>
      new Promise<Socket>((resolve) => {
        const socket = connect(port, "127.0.0.1", () => resolve(socket));
        socket.on("error", () => {});
      });
    const held = [await open(), await open()];
    try {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const refused = await fetch(`${cappedUrl}/health`).then(
        (response) => response.status,
        () => "closed",
      );
      expect(refused).toBe("closed");
      held.pop()!.destroy();
      await new Promise((resolve) => setTimeout(resolve, 100));
      const health = await fetch(`${cappedUrl}/health`, { headers: { connection: "close" } });
      expect(health.status).toBe(200);
    } finally {
      for (const socket of held) socket.destroy();
      await capped.close({ graceMs: 0, shutdownRuntime: false });
    }
  });
});

describe("the error path itself", () => {
  it("a runtime whose stats throw gets a 500 for /health, and the server keeps serving", async () => {
    const real = fixture.runtime;
    let failing = true;
    const port: ToolRuntimePort = {
      handle: (request) => real.handle(request),
      close: (id) => real.close(id),
      stats: () => {
        if (failing) throw new Error(`stats broke ${"!".repeat(5000)}`);
        return real.stats();
      },
      get sandbox() {
        return real.sandbox;
      },
      shutdown: async () => {},
    };
    const other = createToolServer({ runtime: port, workers: 2, mcp: false });
    const { url: otherUrl } = await other.listen(0);
    try {
      const broken = await fetch(`${otherUrl}/health`);
      expect(broken.status).toBe(500);
      const body = await jsonOf(broken);
      expect(body.detail).toMatch(/^Processing failed: stats broke/);
      expect(body.detail.length).toBeLessThan(1200);
      failing = false;
      expect((await getJson(`${otherUrl}/health`)).status).toBe("healthy");
    } finally {
      await other.close({ graceMs: 0, shutdownRuntime: false });
    }
  });
});
