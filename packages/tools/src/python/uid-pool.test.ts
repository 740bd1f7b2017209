import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ToolsError } from "../tools-error";
import { UidPool } from "./uid-pool";

let lockDir: string;
beforeAll(async () => {
  lockDir = await mkdtemp(join(tmpdir(), "hdpo-uid-pool-"));
});
afterAll(async () => {
  await rm(lockDir, { recursive: true, force: true });
});

describe("UidPool", () => {
  it("never hands a just-released uid straight back", async () => {
    const pool = new UidPool(300_000, 1000, join(lockDir, "a"));
    const first = await pool.acquire();
    await pool.release(first);
    const second = await pool.acquire();
    expect(second).not.toBe(first);
    await pool.release(second);
  });

  it("reuses a uid only after every other uid of the range had its turn", async () => {
    const pool = new UidPool(400_000, 4, join(lockDir, "b"));
    const order: number[] = [];
    for (let i = 0; i < 8; i++) {
      const uid = await pool.acquire();
      order.push(uid);
      await pool.release(uid);
    }
    expect(new Set(order.slice(0, 4)).size).toBe(4);
    expect(order.slice(4)).toEqual(order.slice(0, 4));
    for (const uid of order) expect(uid >= 400_000 && uid < 400_004).toBe(true);
  });

  it("skips uids in use and locked by another live process, and says so when none is left", async () => {
    const pool = new UidPool(500_000, 3, join(lockDir, "c"));
    const held = [await pool.acquire(), await pool.acquire(), await pool.acquire()];
    expect(new Set(held).size).toBe(3);
    expect(existsSync(join(lockDir, "c", String(held[0])))).toBe(true);
    await expect(pool.acquire()).rejects.toBeInstanceOf(ToolsError);
    // another pool (another server) sees the same lock files and must not take them
    const other = new UidPool(500_000, 3, join(lockDir, "c"));
    await expect(other.acquire()).rejects.toThrow(/no free sandbox uid/);
    await pool.release(held[1] as number);
    expect(await other.acquire()).toBe(held[1]);
  });
});
