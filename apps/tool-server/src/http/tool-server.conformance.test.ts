import { execFileSync } from "node:child_process";
import { request as httpRequest } from "node:http";
import { RemoteToolExecutor } from "@hdpo/agent-loop";
import { findPython } from "@hdpo/tools";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  getJson,
  jsonOf,
  startToolServerFixture,
  stdoutOf,
  type ToolServerFixture,
  toolCall,
} from "../test-support/tool-server-fixture";

let fixture: ToolServerFixture;
let taskImage: string;

beforeAll(async () => {
  fixture = await startToolServerFixture();
  // A 640x480 task image (RGB JPEG data URI, as the trainer sends), made by the interpreter the runtime uses.
  const python = await findPython();
  const base64 = execFileSync(python.path, [
    "-c",
    "import io,base64\nfrom PIL import Image\nb=io.BytesIO()\nImage.new('RGB',(640,480),(200,30,30)).save(b,'JPEG')\nprint(base64.b64encode(b.getvalue()).decode())",
  ])
    .toString()
    .trim();
  taskImage = `data:image/jpeg;base64,${base64}`;
});
afterAll(async () => {
  await fixture?.close();
});

/** Width and height of a PNG or JPEG data URI. */
function imageSize(uri: string): { width: number; height: number } {
  const bytes = Buffer.from(uri.slice(uri.indexOf(",") + 1), "base64");
  if (bytes.subarray(1, 4).toString() === "PNG") {
    return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
  }
  for (let i = 2; i < bytes.length; ) {
    const marker = bytes[i + 1]!;
    const length = bytes.readUInt16BE(i + 2);
    if (marker >= 0xc0 && marker <= 0xc3) {
      return { height: bytes.readUInt16BE(i + 5), width: bytes.readUInt16BE(i + 7) };
    }
    i += 2 + length;
  }
  throw new Error("not a PNG or baseline JPEG");
}

describe("POST /get_observation: the reference's replies (metis-protocol.md §1-2)", () => {
  it("answers an action without a <tool_call> block with '' and valid=false", async () => {
    const reply = await fixture.act("no-block", "<reason>thinking</reason> just text");
    expect(reply).toEqual({ observation: "", done: false, valid: false, status: 200 });
  });

  it("answers a <tool_call> with bad JSON with '' and valid=false", async () => {
    const reply = await fixture.act("bad-json", '<tool_call>{"name": "python", "arguments": </tool_call>');
    expect(reply).toEqual({ observation: "", done: false, valid: false, status: 200 });
  });

  it("answers an unknown tool with the reference's no-handler object", async () => {
    const reply = await fixture.act("unknown-tool", toolCall("calculator", { x: 1 }));
    expect(reply.valid).toBe(false);
    expect(reply.done).toBe(false);
    expect(reply.observation).toEqual({
      obs: "Error: No handler found for tool 'calculator'.",
      image: [],
      metrics: {},
      timeout: false,
    });
  });

  it("ends the trajectory on non-object arguments (the reference's tool exception)", async () => {
    const reply = await fixture.act(
      "non-object-args",
      '<tool_call>{"name": "python", "arguments": "print(1)"}</tool_call>',
    );
    expect(reply.done).toBe(true);
    expect(reply.valid).toBe(false);
    expect(reply.observation).toMatchObject({
      obs: "",
      error: expect.stringMatching(/^Tool processing failed: /),
    });
  });

  it("ends the trajectory on a non-object call", async () => {
    const reply = await fixture.act("non-object-call", "<tool_call>[1, 2]</tool_call>");
    expect(reply.done).toBe(true);
    expect(reply.valid).toBe(false);
  });

  it("answers empty code with the reference's error, code_success false, valid=false", async () => {
    const reply = await fixture.act("empty-code", toolCall("python", { code: "" }));
    expect(reply.valid).toBe(false);
    expect(reply.done).toBe(false);
    expect(reply.observation).toMatchObject({
      obs: "Error: No code provided in the tool call arguments.",
      metrics: { code_success: false },
    });
  });

  it("answers an empty query with the reference's error, valid=false", async () => {
    const reply = await fixture.act("empty-query", toolCall("search", { query: "" }));
    expect(reply.valid).toBe(false);
    expect(reply.observation).toMatchObject({ obs: "Error: Search query is empty." });
  });

  it("searches the local corpus under both names (search, text_search)", async () => {
    for (const name of ["search", "text_search"]) {
      const reply = await fixture.act(`search-${name}`, toolCall(name, { query: "highest mountain Japan" }));
      expect(reply.valid).toBe(true);
      const obs = (reply.observation as { obs: string }).obs;
      expect(obs).toMatch(/^A Google search for 'highest mountain Japan' found \d+ results:/);
      expect(obs).toContain("Mount Fuji");
    }
  });

  it("runs image_search once per trajectory and deduplicates later calls", async () => {
    const first = await fixture.act("image-dedup", toolCall("image_search", {}), { index: "task_0" });
    expect(first.valid).toBe(true);
    expect((first.observation as { obs: string }).obs).toBe("No result found for image search.");
    const second = await fixture.act("image-dedup", toolCall("image_search", {}), { index: "task_0" });
    expect(second.valid).toBe(true);
    expect(second.done).toBe(false);
    const observation = second.observation as { obs: string; metrics: Record<string, unknown> };
    expect(observation.metrics.deduplicated).toBe(true);
    expect(observation.obs).toMatch(/already been called 1 time/);
    expect(observation.obs).toContain("<answer>");
  });

  it("keeps Python state per trajectory and never leaks it to another", async () => {
    expect(stdoutOf(await fixture.python("state-a", "secret = 41"))).toBe(
      "Script executed successfully (no output).",
    );
    expect(stdoutOf(await fixture.python("state-a", "secret += 1\nprint(secret)"))).toBe("42");
    const other = await fixture.python("state-b", "print(secret)");
    expect(other).toMatch(/NameError: name 'secret' is not defined/);
  });

  it("finish:[true] answers ''/done/valid and frees the session (process, files and state)", async () => {
    await fixture.python("finish-me", "kept = 'still here'\nopen('f.txt', 'w').write('x')");
    const before = fixture.runtime.stats();
    const reply = await fixture.finish("finish-me");
    expect(reply.status).toBe(200);
    expect(reply.json).toMatchObject({ observations: [""], dones: [true], valids: [true] });
    const after = fixture.runtime.stats();
    expect(after.liveSessions).toBe(before.liveSessions - 1);
    expect(after.trajectories).toBe(before.trajectories - 1);
    const again = await fixture.python("finish-me", "print(kept)\nprint(os.path.exists('f.txt'))");
    expect(again).toMatch(/NameError/);
    const files = await fixture.python("finish-me", "print(os.path.exists('f.txt'))");
    expect(stdoutOf(files)).toBe("False");
  });

  it("crops a task image and returns the crop as an observation image of the right size", async () => {
    const obs = await fixture.act(
      "image-crop",
      toolCall("python", { code: "crop = image_1.crop((0, 0, 320, 256))\nprint(image_1.size)\ncrop" }),
      { images: [taskImage] },
    );
    const observation = obs.observation as { obs: string; image: string[]; metrics: Record<string, unknown> };
    expect(stdoutOf(observation.obs)).toContain("(640, 480)");
    expect(observation.metrics.code_success).toBe(true);
    expect(observation.image).toHaveLength(1);
    expect(imageSize(observation.image[0]!)).toEqual({ width: 320, height: 256 });
  });

  it("answers a batch of several trajectories in request order, repeated ids in order", async () => {
    const reply = await fixture.post({
      trajectory_ids: ["batch-1", "batch-2", "batch-1"],
      actions: [
        toolCall("python", { code: "v = 'one'" }),
        toolCall("python", { code: "print('two')" }),
        toolCall("python", { code: "print(v)" }),
      ],
    });
    expect(reply.status).toBe(200);
    expect(reply.json.observations).toHaveLength(3);
    expect(stdoutOf(reply.json.observations[1].obs)).toBe("two");
    expect(stdoutOf(reply.json.observations[2].obs)).toBe("one");
    expect(reply.json.dones).toEqual([false, false, false]);
    expect(reply.json.valids).toEqual([true, true, true]);
    expect(typeof reply.json.processing_time_ms).toBe("number");
    expect(typeof reply.json.queue_time_ms).toBe("number");
    expect(Number(reply.headers.get("x-process-time"))).toBeGreaterThanOrEqual(0);
  });
});

describe("POST /get_observation: malformed requests", () => {
  it("rejects a length mismatch with 422 in FastAPI's shape", async () => {
    const reply = await fixture.post({ trajectory_ids: ["a", "b"], actions: ["x"] });
    expect(reply.status).toBe(422);
    expect(reply.json.detail[0]).toMatchObject({ loc: ["body", "actions"], type: "value_error" });
  });

  it("rejects missing fields with 422", async () => {
    const reply = await fixture.post({ actions: ["x"] });
    expect(reply.status).toBe(422);
    expect(reply.json.detail).toEqual([
      { loc: ["body", "trajectory_ids"], msg: "Field required", type: "missing" },
    ]);
  });

  it("rejects invalid JSON with 422 json_invalid", async () => {
    const reply = await fixture.post("{not json");
    expect(reply.status).toBe(422);
    expect(reply.json.detail[0]).toMatchObject({ loc: ["body"], type: "json_invalid" });
  });

  it("rejects a body over the limit with 413 and keeps serving", async () => {
    const small = await startToolServerFixture({ server: { maxBodyBytes: 64 * 1024 } });
    try {
      const huge = JSON.stringify({ trajectory_ids: ["a"], actions: ["x".repeat(200 * 1024)] });
      const reply = await small.post(huge);
      expect(reply.status).toBe(413);
      expect(reply.json.detail).toMatch(/exceeds 65536 bytes/);
      const after = await small.act("after-413", toolCall("python", { code: "print(7)" }));
      expect(stdoutOf((after.observation as { obs: string }).obs)).toBe("7");
    } finally {
      await small.close();
    }
  });

  it("answers an unknown path with 404 JSON and a wrong method with 405", async () => {
    const notFound = await fetch(`${fixture.url}/nope`);
    expect(notFound.status).toBe(404);
    expect(notFound.headers.get("content-type")).toBe("application/json");
    expect((await jsonOf(notFound)).detail).toMatch(/Not Found/);
    const wrongMethod = await fetch(`${fixture.url}/get_observation`);
    expect(wrongMethod.status).toBe(405);
  });
});

describe("browsers may not drive the tools", () => {
  const send = (headers: Record<string, string>) =>
    new Promise<number>((resolve, reject) => {
      const url = new URL(`${fixture.url}/get_observation`);
      const body = JSON.stringify({
        trajectory_ids: ["browser"],
        actions: [toolCall("python", { code: "1" })],
      });
      const req = httpRequest(
        { host: url.hostname, port: url.port, path: url.pathname, method: "POST", headers },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on("error", reject);
      req.end(body);
    });

  it("refuses a cross-origin request and a DNS-rebound Host with 403", async () => {
    expect(await send({ "content-type": "text/plain", origin: "http://evil.example" })).toBe(403);
    expect(await send({ host: "evil.example" })).toBe(403);
    expect(await send({ "content-type": "application/json" })).toBe(200);
  });
});

describe("GET /health and /metrics", () => {
  it("reports the reference's health fields plus sandbox, interpreter and sessions", async () => {
    const response = await fetch(`${fixture.url}/health`);
    expect(response.status).toBe(200);
    const health = await jsonOf(response);
    expect(health).toMatchObject({
      status: "healthy",
      concurrent_requests: 0,
      thread_pool_size: 2,
      active_tasks: 0,
      max_concurrent: 1024,
      tools: ["metis"],
    });
    expect(health.uptime_seconds).toBeGreaterThan(0);
    expect(typeof health.sandbox.mode).toBe("string");
    expect(Array.isArray(health.sandbox.warnings)).toBe(true);
    expect(typeof health.live_sessions).toBe("number");
  });

  it("counts requests, statuses and runtime calls", async () => {
    const metrics = await getJson(`${fixture.url}/metrics`);
    expect(metrics.http.observationRequests).toBeGreaterThan(5);
    expect(metrics.http.status["422"]).toBeGreaterThanOrEqual(3);
    expect(metrics.http.status["404"]).toBeGreaterThanOrEqual(1);
    expect(metrics.runtime).toBeTypeOf("object");
  });
});

describe("a trainer client: @hdpo/agent-loop's RemoteToolExecutor", () => {
  it("executes python with persistent state, reads errors as observations and closes the session", async () => {
    const executor = new RemoteToolExecutor({ url: fixture.url, timeoutMs: 60_000 });
    const first = await executor.execute("remote-1", toolCall("python", { code: "n = 20\nprint(n)" }));
    expect(first.valid).toBe(true);
    expect(first.done).toBe(false);
    expect(stdoutOf(first.text)).toBe("20");
    expect(first.metrics).toMatchObject({ code_success: true, timeout: false });
    const second = await executor.execute("remote-1", toolCall("python", { code: "print(n + 1)" }));
    expect(stdoutOf(second.text)).toBe("21");
    const unparsed = await executor.execute("remote-1", "no tool call here");
    expect(unparsed).toMatchObject({ text: "", valid: false, done: false });
    const unknown = await executor.execute("remote-1", toolCall("nope", {}));
    expect(unknown.valid).toBe(false);
    expect(unknown.text).toBe("Error: No handler found for tool 'nope'.");
    await executor.close("remote-1");
    const afterClose = await executor.execute("remote-1", toolCall("python", { code: "print(n)" }));
    expect(afterClose.text).toMatch(/NameError/);
    await executor.close("remote-1");
  });
});
