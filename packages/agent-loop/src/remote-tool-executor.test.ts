import { afterEach, describe, expect, it } from "vitest";
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

  it("gives the reference's error observation after all attempts fail (done, invalid)", async () => {
    const s = await serve(() => ({ kind: "status", status: 502, body: '{"detail":"upstream down"}' }));
    const obs = await new RemoteToolExecutor({ url: s.url, retries: 2 }).execute("id", "a");
    expect(s.requests).toHaveLength(3); // 1 + 2 retries
    expect(obs).toMatchObject({
      valid: false,
      done: true,
      text: 'Tool call error: HTTP 502: {"detail":"upstream down"}',
    });
  });

  it("reports a hang as a timeout in seconds", async () => {
    const s = await serve(() => ({ kind: "hang" }));
    const obs = await new RemoteToolExecutor({ url: s.url, timeoutMs: 40, retries: 0 }).execute("id", "a");
    expect(obs).toMatchObject({ text: "Tool call timeout after 0.04 seconds.", valid: false, done: true });
    expect(s.requests).toHaveLength(1);
  });

  it("reports a malformed 200 reply as a tool call error", async () => {
    const s = await serve(() => ({ kind: "raw", body: '{"observations":[]}' }));
    const obs = await new RemoteToolExecutor({ url: s.url, retries: 0 }).execute("id", "a");
    expect(obs.text).toBe("Tool call error: reply lacks observations[] with exactly one entry");
    expect(obs.done).toBe(true);
  });

  it("reports a refused connection as a connection error", async () => {
    const s = await serve(() => ok("x"));
    const url = s.url;
    await s.close();
    server = undefined;
    const obs = await new RemoteToolExecutor({ url, retries: 0 }).execute("id", "a");
    expect(obs.text).toMatch(/^Tool server connection error: /);
    expect(obs).toMatchObject({ valid: false, done: true });
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
    expect(() => new RemoteToolExecutor({ url: "not a url" })).toThrow(/not a valid URL/);
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
