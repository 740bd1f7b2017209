import { describe, expect, it } from "vitest";
import { ConcurrencyLimiter } from "./concurrency-limiter";
import { JudgeError } from "./judge-error";

describe("ConcurrencyLimiter", () => {
  it("runs at most `limit` tasks at once, in arrival order, and frees slots on failure", async () => {
    const limiter = new ConcurrencyLimiter(2);
    const started: number[] = [];
    const release: Array<() => void> = [];
    let peak = 0;
    const tasks = [0, 1, 2, 3].map((i) =>
      limiter.run(async () => {
        started.push(i);
        peak = Math.max(peak, limiter.running);
        await new Promise<void>((resolve) => release.push(resolve));
        if (i === 0) throw new Error("task 0 fails");
        return i;
      }),
    );
    const settle = () => new Promise((resolve) => setTimeout(resolve, 0));
    await settle();
    expect(started).toEqual([0, 1]);
    release[0]!();
    await expect(tasks[0]).rejects.toThrow("task 0 fails");
    await settle();
    expect(started).toEqual([0, 1, 2]);
    release[1]!();
    await settle();
    expect(started).toEqual([0, 1, 2, 3]);
    release[2]!();
    release[3]!();
    expect(await Promise.all(tasks.slice(1))).toEqual([1, 2, 3]);
    expect(peak).toBe(2);
    expect(limiter.running).toBe(0);
  });

  it("rejects a limit that is not an integer ≥ 1", () => {
    expect(() => new ConcurrencyLimiter(0)).toThrow(JudgeError);
    expect(() => new ConcurrencyLimiter(1.5)).toThrow(/integer ≥ 1/);
  });
});
