import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  getJson,
  startToolServerFixture,
  stdoutOf,
  type ToolServerFixture,
  toolCall,
} from "../test-support/tool-server-fixture";

// 256 trajectories at once, 3 dependent Python calls each, with far fewer live sessions allowed than
// trajectories: LRU eviction and replay run constantly, and no answer may be lost or belong to another trajectory.
// (Any bound below ~256 thrashes the same way under this round-robin pattern: about 768 session starts, which is
// what this test costs; measured 87 s on the shared 2-core machine.)
const TRAJECTORIES = 256;
const MAX_SESSIONS = 24;

let fixture: ToolServerFixture;

beforeAll(async () => {
  fixture = await startToolServerFixture({ runtime: { maxSessions: MAX_SESSIONS, workers: 2 } });
});
afterAll(async () => {
  await fixture?.close();
});

describe("load", () => {
  it(`${TRAJECTORIES} concurrent trajectories x 3 python calls: nothing lost or mixed up`, async () => {
    const run = async (i: number) => {
      const id = `load-${i}`;
      const replies = [];
      for (const code of [`x = ${i}`, "x += 1", `print(x, ${JSON.stringify(id)})`]) {
        replies.push(await fixture.act(id, toolCall("python", { code })));
      }
      return replies;
    };
    const results = await Promise.all(Array.from({ length: TRAJECTORIES }, (_, i) => run(i)));
    results.forEach((replies, i) => {
      const texts = replies.map((r) => JSON.stringify(r));
      for (const reply of replies)
        expect({ status: reply.status, valid: reply.valid }, texts.join("\n")).toEqual({
          status: 200,
          valid: true,
        });
      const obs = replies.map((r) => (r.observation as { obs: string }).obs);
      expect(stdoutOf(obs[0]!), texts[0]).toBe("Script executed successfully (no output).");
      expect(stdoutOf(obs[1]!), texts[1]).toBe("Script executed successfully (no output).");
      expect(stdoutOf(obs[2]!), texts[2]).toBe(`${i + 1} load-${i}`);
    });
    const metrics = await getJson(`${fixture.url}/metrics`);
    expect(metrics.http.observations).toBe(TRAJECTORIES * 3);
    expect(metrics.runtime.liveSessions).toBeLessThanOrEqual(MAX_SESSIONS);
    expect(metrics.runtime.evictions).toBeGreaterThan(0);
    expect(metrics.runtime.replays).toBeGreaterThan(0);
    expect(metrics.runtime.errors).toBe(0);
  }, 600_000);
});
