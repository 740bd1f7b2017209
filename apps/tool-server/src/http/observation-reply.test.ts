import { describe, expect, it } from "vitest";
import type { ToolReplyLike } from "../runtime-port";
import { type EntryOutcome, observationReplyText } from "./observation-reply";

const ok = (obs: string): EntryOutcome => ({
  status: "fulfilled",
  value: { observation: { obs, metrics: {}, timeout: false }, done: false, valid: true },
});
const timing = { processingMs: 1.5, queueMs: 0.25 };

function parse(outcomes: EntryOutcome[], cap = 1024 * 1024) {
  const reply = observationReplyText(outcomes, timing, cap);
  return { ...reply, json: JSON.parse(reply.text) };
}

describe("observationReplyText", () => {
  it("writes exactly what JSON.stringify of the reply object would", () => {
    const outcomes = [
      ok("a"),
      { status: "fulfilled", value: { observation: "", done: false, valid: false } },
    ];
    const { text, failedEntries } = observationReplyText(outcomes as EntryOutcome[], timing, 1024 * 1024);
    expect(failedEntries).toBe(0);
    expect(text).toBe(
      JSON.stringify({
        observations: [{ obs: "a", metrics: {}, timeout: false }, ""],
        dones: [false, false],
        valids: [true, false],
        processing_time_ms: 1.5,
        queue_time_ms: 0.25,
      }),
    );
  });

  it("turns a rejected, unserializable or missing observation into that entry's error, keeping the others", () => {
    const cyclic: Record<string, unknown> = { obs: "x" };
    cyclic.self = cyclic;
    const { json, failedEntries } = parse([
      ok("first"),
      { status: "rejected", reason: new TypeError("kaboom") },
      { status: "fulfilled", value: { observation: cyclic, done: false, valid: true } as ToolReplyLike },
      { status: "fulfilled", value: { done: false, valid: true } as unknown as ToolReplyLike },
      ok("last"),
    ]);
    expect(failedEntries).toBe(3);
    expect(json.observations[0].obs).toBe("first");
    expect(json.observations[4].obs).toBe("last");
    expect(json.observations[1]).toEqual({
      obs: "",
      error: "Tool processing failed: kaboom",
      tool_type: "metis",
    });
    expect(json.observations[2].error).toMatch(/could not be serialized/);
    expect(json.observations[3].error).toMatch(/without an observation/);
    expect(json.dones).toEqual([false, true, true, true, false]);
    expect(json.valids).toEqual([true, false, false, false, true]);
  });

  it("fails the largest entries first until the reply fits, and one over the cap alone", () => {
    const cap = 10_000;
    const { json, text, failedEntries } = parse(
      [ok("s".repeat(100)), ok("m".repeat(4_000)), ok("l".repeat(7_000)), ok("h".repeat(20_000))],
      cap,
    );
    expect(failedEntries).toBe(2);
    expect(Buffer.byteLength(text)).toBeLessThan(cap + 1000);
    expect(json.observations[0].obs).toBe("s".repeat(100));
    expect(json.observations[1].obs).toBe("m".repeat(4_000));
    expect(json.observations[2].error).toMatch(/did not fit in the batch's reply limit of 10000 bytes/);
    expect(json.observations[3].error).toMatch(/over the reply limit of 10000 bytes/);
    expect(json.valids).toEqual([true, true, false, false]);
  });
});
