import { afterEach, describe, expect, it } from "vitest";
import { InfrastructureError } from "./infrastructure-error";
import { RemoteToolExecutor } from "./remote-tool-executor";
import { startVerlToolTestServer, type VerlToolTestServer } from "./test-support/verl-tool-test-server";
import { ToolServerReplicas } from "./tool-server-replicas";

// Several real verl-tool test servers on 127.0.0.1: a trajectory's Python session lives on one of them, so every
// call of a trajectory must reach the same replica.

const toolCall = (name: string, args: Record<string, string>) =>
  `<tool_call>${JSON.stringify({ name, arguments: args })}</tool_call>`;
const python = (code: string) => toolCall("python", { code });
/** The test server answers this tool with HTTP 500: the replica failed. */
const FAIL = toolCall("fail500", {});

let servers: VerlToolTestServer[] = [];
afterEach(async () => {
  for (const server of servers) await server.close();
  servers = [];
});

async function start(count: number): Promise<VerlToolTestServer[]> {
  for (let i = 0; i < count; i++) servers.push(await startVerlToolTestServer());
  return servers;
}

async function stop(server: VerlToolTestServer): Promise<void> {
  await server.close();
  servers = servers.filter((s) => s !== server);
}

/** Trajectory ids each server saw in observation requests (not closes). */
const seenBy = (server: VerlToolTestServer) =>
  server.requests.filter((r) => r.finish?.[0] !== true).map((r) => r.trajectory_ids[0]);
const at = (server: VerlToolTestServer) => `${server.url}/get_observation`;

describe("ToolServerReplicas", () => {
  it("keeps every call of a trajectory on one replica and spreads trajectories over the replicas", async () => {
    const [a, b, c] = await start(3);
    const tools = new ToolServerReplicas({ urls: [a!.url, b!.url, c!.url], timeoutMs: 5_000, retries: 0 });
    const ids = ["t0", "t1", "t2", "t3", "t4", "t5"];
    // Interleaved: every trajectory makes three calls, the trajectories taking turns.
    for (let round = 0; round < 3; round++) {
      await Promise.all(ids.map((id) => tools.execute(id, python(`print(${round})`))));
    }
    for (const id of ids) {
      const holders = [a!, b!, c!].filter((server) => seenBy(server).includes(id));
      expect(holders, id).toHaveLength(1);
      expect(seenBy(holders[0]!).filter((seen) => seen === id)).toHaveLength(3);
    }
    expect([a!, b!, c!].map((server) => new Set(seenBy(server)).size)).toEqual([2, 2, 2]);
  });

  it("forgets a closed trajectory, so the replica takes new ones again", async () => {
    const [a, b] = await start(2);
    const tools = new ToolServerReplicas({ urls: [a!.url, b!.url], timeoutMs: 5_000, retries: 0 });
    await tools.execute("x", python("1"));
    expect(tools.endpointFor("x")).toBe(at(a!));
    await tools.execute("y", python("1"));
    expect(tools.endpointFor("y")).toBe(at(b!));
    await tools.close("x");
    expect(tools.endpointFor("x")).toBeUndefined();
    // a now has no open trajectory, b has one: the next goes to a.
    await tools.execute("z", python("1"));
    expect(tools.endpointFor("z")).toBe(at(a!));
    // The close reached the replica that held the session, and only it.
    expect(a!.requests.some((r) => r.finish?.[0] === true && r.trajectory_ids[0] === "x")).toBe(true);
    expect(b!.requests.some((r) => r.trajectory_ids[0] === "x")).toBe(false);
  });

  it("avoids a replica that failed for new trajectories, but never moves one that lives there", async () => {
    const [a, b] = await start(2);
    const tools = new ToolServerReplicas({ urls: [a!.url, b!.url], timeoutMs: 5_000, retries: 0 });
    await tools.execute("on-a", python("1"));
    await tools.execute("on-b", python("1"));
    await stop(a!);
    // The trajectory whose session is on the dead replica reports the outage; it is not silently moved to b.
    await expect(tools.execute("on-a", python("2"))).rejects.toBeInstanceOf(InfrastructureError);
    await expect(tools.execute("on-a", python("3"))).rejects.toBeInstanceOf(InfrastructureError);
    expect(tools.endpointFor("on-a")).toBe(at(a!));
    expect(seenBy(b!)).not.toContain("on-a");
    // New trajectories go to b while a cools down, even though a then has fewer open trajectories.
    await tools.close("on-b");
    await tools.execute("new", python("1"));
    expect(tools.endpointFor("new")).toBe(at(b!));
    await tools.execute("newer", python("1"));
    expect(tools.endpointFor("newer")).toBe(at(b!));
  });

  it("places new trajectories anyway when every replica is cooling down, and they report the outage", async () => {
    const [a, b] = await start(2);
    const tools = new ToolServerReplicas({ urls: [a!.url, b!.url], timeoutMs: 5_000, retries: 0 });
    await tools.execute("on-a", python("1"));
    await tools.execute("on-b", python("1"));
    await stop(a!);
    await stop(b!);
    await expect(tools.execute("on-a", python("2"))).rejects.toBeInstanceOf(InfrastructureError);
    await expect(tools.execute("on-b", python("2"))).rejects.toBeInstanceOf(InfrastructureError);
    // Both cooling: the least loaded is still chosen, and the caller hears of the outage, not of a routing gap.
    await tools.close("on-a");
    const failure = tools.execute("late", python("1"));
    await expect(failure).rejects.toBeInstanceOf(InfrastructureError);
    await expect(failure).rejects.toThrow(/could not be reached/);
    expect(tools.endpointFor("late")).toBe(at(a!));
  });

  it("takes new trajectories on a replica again once a call that started after its failure succeeds there", async () => {
    const [a, b] = await start(2);
    const tools = new ToolServerReplicas({ urls: [a!.url, b!.url], timeoutMs: 5_000, retries: 0 });
    await tools.execute("first", python("1")); // a
    await tools.execute("second", python("1")); // b
    await expect(tools.execute("first", FAIL)).rejects.toBeInstanceOf(InfrastructureError);
    // a is cooling: a tie (a: 1, b: 1) goes to b, not to the earlier-listed a.
    await tools.execute("third", python("1"));
    expect(tools.endpointFor("third")).toBe(at(b!));
    // a answers again: its cool-down ends, and the least loaded replica (a: 1, b: 2) takes the next trajectory.
    await tools.execute("first", python("2"));
    await tools.execute("fourth", python("1"));
    expect(tools.endpointFor("fourth")).toBe(at(a!));
  });

  it("remembers a bounded number of open trajectories, forgetting the oldest", async () => {
    const [a, b] = await start(2);
    const tools = new ToolServerReplicas({
      urls: [a!.url, b!.url],
      timeoutMs: 5_000,
      retries: 0,
      maxOpenTrajectories: 2,
    });
    await tools.execute("t1", python("1")); // a
    await tools.execute("t2", python("1")); // b
    await tools.execute("t3", python("1")); // a (tie), and t1 is forgotten: a holds one again
    expect(tools.endpointFor("t1")).toBeUndefined();
    expect(tools.endpointFor("t2")).toBe(at(b!));
    expect(tools.endpointFor("t3")).toBe(at(a!));
    await tools.execute("t4", python("1")); // a (tie a: 1, b: 1), and t2 is forgotten
    expect(tools.endpointFor("t2")).toBeUndefined();
    await tools.execute("t5", python("1")); // b (a: 2, b: 0); t3 is forgotten
    expect(tools.endpointFor("t5")).toBe(at(b!));
    expect(["t1", "t2", "t3", "t4", "t5"].map((id) => tools.endpointFor(id) !== undefined)).toEqual([
      false,
      false,
      false,
      true,
      true,
    ]);
    // Closing a forgotten trajectory is a no-op, not an error.
    await tools.close("t1");
  });

  it("with one URL answers as the single-server executor, outages included", async () => {
    const [a] = await start(1);
    const replicas = new ToolServerReplicas({ urls: [a!.url], timeoutMs: 5_000, retries: 0 });
    const single = new RemoteToolExecutor({ url: a!.url, timeoutMs: 5_000, retries: 0 });
    const actions = [
      python("print(42)"),
      toolCall("search", { query: "q" }),
      "no call",
      toolCall("nope", {}),
    ];
    for (const action of actions) {
      expect(await replicas.execute("r", action)).toEqual(await single.execute("s", action));
    }
    await stop(a!);
    const [fromReplicas, fromSingle] = await Promise.all([
      replicas.execute("r", python("1")).catch((error: unknown) => error),
      single.execute("s", python("1")).catch((error: unknown) => error),
    ]);
    // The same outage (the socket's own words may differ: one client's kept-alive connection was cut).
    for (const error of [fromReplicas, fromSingle]) {
      expect(error).toBeInstanceOf(InfrastructureError);
      expect(error).toMatchObject({ service: "tool-server", endpoint: at(a!) });
      expect((error as Error).message).toMatch(/^the tool server at \S+ could not be reached/);
    }
  });

  it("refuses an empty list, a URL listed twice and a URL that is not http(s)", () => {
    expect(() => new ToolServerReplicas({ urls: [] })).toThrow(/urls must list at least one tool server/);
    expect(
      () => new ToolServerReplicas({ urls: ["http://127.0.0.1:9/", "http://127.0.0.1:9/get_observation"] }),
    ).toThrow(/listed twice; list each tool server replica once/);
    expect(() => new ToolServerReplicas({ urls: ["ftp://127.0.0.1:9"] })).toThrow(/not an http\(s\) URL/);
    expect(() => new ToolServerReplicas({ urls: ["http://127.0.0.1:9"], cooldownMs: -1 })).toThrow(
      /cooldownMs must be a non-negative integer/,
    );
  });
});
