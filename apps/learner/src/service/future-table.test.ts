import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FutureLog } from "./future-log";
import { FutureTable } from "./future-table";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "hdpo-futures-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("FutureTable and its log", () => {
  it("replays created and finished futures, skipping a torn last line", async () => {
    const path = join(dir, "futures.jsonl");
    const { log } = await FutureLog.open(path);
    const table = new FutureTable(log, 2 ** 20);
    table.restore([], 1);
    const a = table.create("forward", "model_a", { seqId: 3, hash: "h" });
    const b = table.create("optim_step", "model_a");
    table.complete(a, '{"x":[1,2]}');
    table.fail(b, "no gradient");
    table.create("forward", "model_a");
    log.close();
    await writeFile(path, `${await readFile(path, "utf8")}{"op":"done","id":3,"ok":tr`);
    const replay = await FutureLog.open(path);
    replay.log.close();
    expect(replay.skippedLines).toBe(1);
    expect(replay.futures).toEqual([
      {
        id: 1,
        kind: "forward",
        modelId: "model_a",
        seqId: 3,
        hash: "h",
        status: "completed",
        text: '{"x":[1,2]}',
      },
      { id: 2, kind: "optim_step", modelId: "model_a", status: "failed", text: "no gradient" },
      { id: 3, kind: "forward", modelId: "model_a", status: "pending" },
    ]);
  });

  it("long-polls: answers as soon as the future ends, times out otherwise, and drops the oldest results past the budget", async () => {
    const { log } = await FutureLog.open(join(dir, "futures.jsonl"));
    const table = new FutureTable(log, 100);
    table.restore([], 1);
    const id = table.create("sample", null);
    expect(await table.wait(id, 20)).toEqual({ state: "timeout" });
    const waiting = table.wait(id, 60_000);
    table.complete(id, JSON.stringify("x".repeat(60)));
    expect(await waiting).toEqual({ state: "completed", text: JSON.stringify("x".repeat(60)) });
    const next = table.create("sample", null);
    table.complete(next, JSON.stringify("y".repeat(60)));
    const dropped = await table.wait(id, 10);
    expect(dropped.state).toBe("not_found");
    expect((dropped as { message: string }).message).toContain("no longer kept");
    expect((await table.wait(next, 10)).state).toBe("completed");
    expect(await table.wait(99, 10)).toEqual({ state: "not_found", message: "Future not found" });
    log.close();
  });
});
