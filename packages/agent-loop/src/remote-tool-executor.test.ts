import { afterEach, describe, expect, it } from "vitest";
import { InfrastructureError } from "./infrastructure-error";
import { parseObservationReply, RemoteToolExecutor } from "./remote-tool-executor";
import {
  type ScriptedReply,
  startVerlToolTestServer,
  type VerlToolTestServer,
} from "./test-support/verl-tool-test-server";

let server: VerlToolTestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});
const serve = async (script: (index: number) => ScriptedReply): Promise<VerlToolTestServer> => {
  server = await startVerlToolTestServer((_, index) => script(index));
  return server;
};
const ok = (observation: unknown, done = false, valid = true): ScriptedReply => ({
  kind: "observation",
  observation,
  done,
  valid,
});

describe("RemoteToolExecutor", () => {
  it("posts the verl-tool body and reads an object observation", async () => {
    const s = await serve(() =>
      ok({
        obs: "out",
        image: ["data:image/png;base64,AA"],
        metrics: { code_success: true, nested: {} },
        timeout: false,
      }),
    );
    const tools = new RemoteToolExecutor({ url: s.url, timeoutMs: 1000 });
    const obs = await tools.execute("id1", "<tool_call>{}</tool_call>", { images: ["img"], index: "k" });
    expect(s.requests[0]).toEqual({
      trajectory_ids: ["id1"],
      actions: ["<tool_call>{}</tool_call>"],
      finish: [false],
      is_last_step: [false],
      extra_fields: [{ images: ["img"], index: "k" }],
    });
    expect(obs).toEqual({
      text: "out",
      images: ["data:image/png;base64,AA"],
      metrics: { code_success: true, timeout: false },
      valid: true,
      done: false,
    });
  });

  it('reads a string observation, "" for an invalid action', async () => {
    const s = await serve(() => ok("", false, false));
    const obs = await new RemoteToolExecutor({ url: `${s.url}/get_observation` }).execute("id", "junk");
    expect(obs).toEqual({ text: "", valid: false, done: false });
  });

  it("retries once by default: a 500 then a 200 succeeds in 2 attempts", async () => {
    const s = await serve((i) => (i === 0 ? { kind: "status", status: 500, body: "x" } : ok("fine")));
    const obs = await new RemoteToolExecutor({ url: s.url, timeoutMs: 1000 }).execute("id", "a");
    expect(obs).toMatchObject({ text: "fine", valid: true, done: false });
    expect(s.requests).toHaveLength(2);
  });

  it("a server that keeps failing is an outage: InfrastructureError after the retries, never an observation", async () => {
    const s = await serve(() => ({ kind: "status", status: 502, body: '{"detail":"upstream\ndown"}' }));
    const failing = new RemoteToolExecutor({ url: s.url, retries: 2, retryDelayMs: 0 }).execute("id", "a");
    await expect(failing).rejects.toBeInstanceOf(InfrastructureError);
    const error = (await failing.catch((e: unknown) => e)) as InfrastructureError;
    expect(s.requests).toHaveLength(3); // 1 + 2 retries
    expect(error.service).toBe("tool-server");
    expect(error.endpoint).toBe(`${s.url}/get_observation`);
    // one line, whatever the server's body held
    expect(error.message).toBe(
      `the tool server at ${s.url}/get_observation answered HTTP 502: {"detail":"upstream down"} (3 attempts); check that it is running and that the URL is right.`,
    );
  });

  it("a request the server rejects (4xx for this action) is the reference's error observation, not retried", async () => {
    for (const status of [400, 413, 422]) {
      const s = await serve(() => ({ kind: "status", status, body: "action too large" }));
      const obs = await new RemoteToolExecutor({ url: s.url, retries: 2 }).execute("id", "a");
      expect(obs).toEqual({
        text: `Tool call error: HTTP ${status}: action too large`,
        error: `HTTP ${status}: action too large`,
        valid: false,
        done: true,
      });
      expect(s.requests).toHaveLength(1);
      await s.close();
      server = undefined;
    }
  });

  it("a 404 (wrong URL) or 429 is the server's failure, not the action's", async () => {
    for (const status of [404, 429]) {
      const s = await serve(() => ({ kind: "status", status, body: "nope" }));
      await expect(
        new RemoteToolExecutor({ url: s.url, retries: 1, retryDelayMs: 0 }).execute("id", "a"),
      ).rejects.toThrow(new RegExp(`answered HTTP ${status}: nope \\(2 attempts\\)`));
      await s.close();
      server = undefined;
    }
  });

  it("reports a hang as an outage after the timeout", async () => {
    const s = await serve(() => ({ kind: "hang" }));
    await expect(
      new RemoteToolExecutor({ url: s.url, timeoutMs: 40, retries: 0 }).execute("id", "a"),
    ).rejects.toThrow(/did not answer within 0.04 s \(1 attempt\)/);
    expect(s.requests).toHaveLength(1);
  });

  it("reports a malformed 200 reply, or one over the size cap, as an outage", async () => {
    const s = await serve((i) =>
      i === 0 ? { kind: "raw", body: '{"observations":[]}' } : { kind: "raw", body: `"${"x".repeat(2000)}"` },
    );
    await expect(new RemoteToolExecutor({ url: s.url, retries: 0 }).execute("id", "a")).rejects.toThrow(
      /sent a malformed reply \(reply lacks observations\[\] with exactly one entry\)/,
    );
    await expect(
      new RemoteToolExecutor({ url: s.url, retries: 0, maxReplyBytes: 1000 }).execute("id", "a"),
    ).rejects.toThrow(/sent a reply larger than 1000 bytes/);
  });

  it("an entry the server could not process is an outage, not retried; a tool's own error stays an observation", async () => {
    const s = await serve((index) =>
      index === 0
        ? ok(
            {
              obs: "",
              error: "Tool processing failed: Tool runtime overloaded: queue full",
              tool_type: "metis",
            },
            true,
            false,
          )
        : ok(
            { obs: "Search failed for 'x': no results", error: "Search failed", tool_type: "metis" },
            false,
            true,
          ),
    );
    const tools = new RemoteToolExecutor({ url: s.url, timeoutMs: 1000, retryDelayMs: 0 });
    const error = await tools.execute("id", "<tool_call>{}</tool_call>").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InfrastructureError);
    expect((error as InfrastructureError).message).toMatch(
      /could not process a call: Tool runtime overloaded/,
    );
    expect(s.requests).toHaveLength(1);
    // Control: an error the tool itself reported reaches the model.
    const obs = await tools.execute("id", "<tool_call>{}</tool_call>");
    expect(obs).toMatchObject({ text: "Search failed for 'x': no results", error: "Search failed" });
  });

  it("reports a refused connection as an outage", async () => {
    const s = await serve(() => ok("x"));
    const url = s.url;
    await s.close();
    server = undefined;
    const failing = new RemoteToolExecutor({ url, retries: 0 }).execute("id", "a");
    await expect(failing).rejects.toThrow(/^the tool server at .* could not be reached \(/);
    await expect(failing).rejects.toMatchObject({ service: "tool-server" });
  });

  it("close sends the finish request and ignores a 500 and a dead server", async () => {
    const s = await serve(() => ({ kind: "status", status: 500, body: "KeyError 'finish'" }));
    const tools = new RemoteToolExecutor({ url: s.url, retries: 0 });
    await expect(tools.close("id9")).resolves.toBeUndefined();
    expect(s.requests[0]).toEqual({
      trajectory_ids: ["id9"],
      actions: [""],
      finish: [true],
      is_last_step: [true],
    });
    await s.close();
    server = undefined;
    await expect(tools.close("id9")).resolves.toBeUndefined();
  });

  it("uses an injected fetch and validates its options", async () => {
    const seen: string[] = [];
    const tools = new RemoteToolExecutor({
      url: "http://tools.local:1/base/",
      fetch: async (input) => {
        seen.push(input);
        return new Response(JSON.stringify({ observations: ["o"], dones: [true], valids: [true] }));
      },
    });
    expect(await tools.execute("id", "a")).toEqual({ text: "o", valid: true, done: true });
    expect(seen).toEqual(["http://tools.local:1/base/get_observation"]);
    expect(() => new RemoteToolExecutor({ url: "not a url" })).toThrow(/not an http\(s\) URL/);
    expect(() => new RemoteToolExecutor({ url: "ftp://x" })).toThrow(/not an http\(s\) URL/);
    expect(() => new RemoteToolExecutor({ url: "http://x", timeoutMs: 0 })).toThrow(/timeoutMs/);
    expect(() => new RemoteToolExecutor({ url: "http://x", retries: -1 })).toThrow(/retries/);
  });
});

describe("parseObservationReply", () => {
  it("keeps tool errors, names and a single-string image", () => {
    expect(
      parseObservationReply({
        observations: [{ obs: "", error: "Tool processing failed: x", tool_type: "metis", image: "data:a" }],
        dones: [true],
        valids: [false],
      }),
    ).toEqual({
      text: "",
      error: "Tool processing failed: x",
      toolName: "metis",
      images: ["data:a"],
      valid: false,
      done: true,
    });
    expect(parseObservationReply({ observations: [{ nope: 1 }] })).toBe(
      "observation object lacks a string `obs`",
    );
    expect(parseObservationReply({ observations: [3] })).toBe(
      "observation is neither a string nor an object",
    );
    expect(parseObservationReply(null)).toBe("reply is not a JSON object");
  });
});
