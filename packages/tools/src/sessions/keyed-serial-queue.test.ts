import { describe, expect, it } from "vitest";
import { KeyedSerialQueue } from "./keyed-serial-queue";
import { Semaphore } from "./semaphore";

/** A promise with its resolver, to let tests decide when a task ends. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open = (): void => {};
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

describe("KeyedSerialQueue", () => {
  it("runs one key's tasks in order and other keys' tasks meanwhile", async () => {
    const queue = new KeyedSerialQueue();
    const log: string[] = [];
    const first = gate();
    const a1 = queue.run("a", async () => {
      log.push("a1 start");
      await first.promise;
      log.push("a1 end");
    });
    const a2 = queue.run("a", async () => {
      log.push("a2");
    });
    const b1 = queue.run("b", async () => {
      log.push("b1");
    });
    await b1;
    expect(log).toEqual(["a1 start", "b1"]);
    expect(queue.pending("a")).toBe(2);
    first.open();
    await Promise.all([a1, a2]);
    expect(log).toEqual(["a1 start", "b1", "a1 end", "a2"]);
    expect(queue.pending("a")).toBe(0);
  });

  it("keeps going after a task fails, and the failure reaches only its caller", async () => {
    const queue = new KeyedSerialQueue();
    const failed = queue.run("a", async () => {
      throw new Error("boom");
    });
    const next = queue.run("a", async () => "ok");
    await expect(failed).rejects.toThrow("boom");
    await expect(next).resolves.toBe("ok");
  });
});

describe("Semaphore", () => {
  it("admits at most `size` holders and hands slots over in FIFO order", async () => {
    const semaphore = new Semaphore(2);
    const gates = [gate(), gate(), gate()];
    const order: number[] = [];
    let peak = 0;
    const tasks = gates.map((g, i) =>
      semaphore.use(async () => {
        order.push(i);
        peak = Math.max(peak, semaphore.inUse);
        await g.promise;
      }),
    );
    await Promise.resolve();
    expect(semaphore.inUse).toBe(2);
    expect(semaphore.waiting).toBe(1);
    gates[0]!.open();
    gates[1]!.open();
    gates[2]!.open();
    await Promise.all(tasks);
    expect(order).toEqual([0, 1, 2]);
    expect(peak).toBe(2);
    expect(semaphore.inUse).toBe(0);
  });
});
