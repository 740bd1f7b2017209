import { describe, expect, it } from "vitest";
import { samplePrompts } from "./sample-prompts";
import { sftBatch } from "./sft-batch";

describe("sftBatch", () => {
  const data = Array.from({ length: 10 }, (_, i) => i);

  it("visits every example once per epoch, in a seeded order that depends only on (seed, step)", () => {
    const epoch = [0, 1, 2, 3, 4].flatMap((step) => sftBatch(data, 2, 7, step));
    expect([...epoch].sort((a, b) => a - b)).toEqual(data);
    expect(epoch).not.toEqual(data);
    expect(sftBatch(data, 2, 7, 3)).toEqual(sftBatch(data, 2, 7, 3));
    expect(sftBatch(data, 3, 7, 3)).toHaveLength(3); // wraps into the next epoch
  });

  it("rejects empty data and bad sizes", () => {
    expect(() => sftBatch([], 2, 1, 0)).toThrow(/no examples/);
    expect(() => sftBatch(data, 0, 1, 0)).toThrow(/batchSize/);
  });
});

describe("samplePrompts", () => {
  const tasks = Array.from({ length: 6 }, (_, i) => ({ id: `t${i}`, question: "q", answer: "a" }));
  it("draws distinct tasks, reproducibly per (seed, step)", () => {
    const a = samplePrompts(tasks, 4, 3, 5);
    expect(new Set(a.map((t) => t.id)).size).toBe(4);
    expect(samplePrompts(tasks, 4, 3, 5)).toEqual(a);
    expect(samplePrompts(tasks, 10, 3, 5)).toHaveLength(6);
    expect(() => samplePrompts([], 1, 1, 1)).toThrow(/no tasks/);
  });
});
