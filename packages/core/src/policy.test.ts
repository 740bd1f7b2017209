import { describe, expect, it } from "vitest";
import { SamplingParamsSchema } from "./policy";

describe("SamplingParamsSchema", () => {
  it("fills the reference defaults (temperature 1, top-p 1) and keeps explicit values", () => {
    expect(SamplingParamsSchema.parse({ maxTokens: 16 })).toEqual({ temperature: 1, topP: 1, maxTokens: 16 });
    const explicit = SamplingParamsSchema.parse({
      maxTokens: 8,
      temperature: 0,
      topP: 0.9,
      stop: ["</tool_call>"],
    });
    expect(explicit.temperature).toBe(0);
    expect(explicit.stop).toEqual(["</tool_call>"]);
  });

  it("rejects top-p of 0, a negative temperature and a non-integer token budget", () => {
    expect(SamplingParamsSchema.safeParse({ maxTokens: 8, topP: 0 }).success).toBe(false);
    expect(SamplingParamsSchema.safeParse({ maxTokens: 8, temperature: -0.1 }).success).toBe(false);
    expect(SamplingParamsSchema.safeParse({ maxTokens: 8.5 }).success).toBe(false);
  });
});
