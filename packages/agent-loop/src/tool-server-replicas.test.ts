import { afterEach, describe, expect, it } from "vitest";
import { InfrastructureError } from "./infrastructure-error";
import { startVerlToolTestServer, type VerlToolTestServer } from "./test-support/verl-tool-test-server";
import { ToolServerReplicas } from "./tool-server-replicas";

// Several real verl-tool test servers on 127.0.0.1: a trajectory's Python session lives on one of them, so every
// call of a trajectory must reach the same replica.

const python = (code: string) =>
  `<tool_call>${JSON.stringify({ name: "python", arguments: { code } })}</tool_call>`;

let servers: VerlToolTestServer[] = [];
afterEach(async () => {
  for (const server of servers) await server.close();
  servers = [];
});

async function start(count: number): Promise<VerlToolTestServer[]> {
  for (let i = 0; i < count; i++) servers.push(await startVerlToolTestServer());
  return servers;
}

/** Trajectory ids each server saw in observation requests (not closes). */
const seenBy = (server: VerlToolTestServer) =>
  server.requests.filter((r) => r.finish?.[0] !== true).map((r) => r.trajectory_ids[0]);

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
    expect(tools.endpointFor("x")).toBe(`${a!.url}/get_observation`);
    await tools.execute("y", python("1"));
    expect(tools.endpointFor("y")).toBe(`${b!.url}/get_observation`);
    await tools.close("x");
    expect(tools.endpointFor("x")).toBeUndefined();
    // a now has no open trajectory, b has one: the next goes to a.
    await tools.execute("z", python("1"));
    expect(tools.endpointFor("z")).toBe(`${a!.url}/get_observation`);
    // The close reached the replica that held the session.
    expect(a!.requests.some((r) => r.finish?.[0] === true && r.trajectory_ids[0] === "x")).toBe(true);
    expect(b!.requests.some((r) => r.trajectory_ids[0] === "x")).toBe(false);
  });

  it("avoids a replica that failed for new trajectories, but never moves one that lives there", async () => {
    const [a, b] = await start(2);
    const tools = new ToolServerReplicas({ urls: [a!.url, b!.url], timeoutMs: 5_000, retries: 0 });
    await tools.execute("on-a", python("1"));
    await tools.execute("on-b", python("1"));
    await a!.close();
    servers = servers.filter((server) => server !== a);
    // The trajectory whose session is on the dead replica reports the outage; it is not silently moved to b.
    await expect(tools.execute("on-a", python("2"))).rejects.toBeInstanceOf(InfrastructureError);
    expect(seenBy(b!)).not.toContain("on-a");
    // New trajectories go to b while a cools down, even though a now has fewer open trajectories.
    await tools.close("on-b");
    await tools.execute("new", python("1"));
    expect(tools.endpointFor("new")).toBe(`${b!.url}/get_observation`);
  });

  it("with one URL behaves as the single-server executor, and refuses an empty list", async () => {
    const [a] = await start(1);
    const tools = new ToolServerReplicas({ urls: [a!.url], timeoutMs: 5_000 });
    const observation = await tools.execute("t", python("print(42)"));
    expect(observation.text).toContain("print(42)");
    expect(() => new ToolServerReplicas({ urls: [] })).toThrow(/urls must list at least one tool server/);
  });
});
