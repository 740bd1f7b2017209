import { describe, expect, it } from "vitest";
import { GenerationConfigSchema } from "./generation-config";

describe("GenerationConfigSchema", () => {
  it("fills the transformers defaults and keeps unknown fields", () => {
    expect(GenerationConfigSchema.parse({ eos_token_id: [1, 2], transformers_version: "4.45.0" })).toEqual({
      eos_token_id: [1, 2],
      do_sample: false,
      temperature: 1,
      top_p: 1,
      top_k: 50,
      repetition_penalty: 1,
      max_length: 20,
      transformers_version: "4.45.0",
    });
  });

  it("reads Qwen2.5's generation_config.json", () => {
    const qwen = {
      bos_token_id: 151643,
      pad_token_id: 151643,
      do_sample: true,
      eos_token_id: [151645, 151643],
      repetition_penalty: 1.05,
      temperature: 0.7,
      top_p: 0.8,
      top_k: 20,
    };
    expect(GenerationConfigSchema.parse(qwen)).toMatchObject(qwen);
  });

  it.each([
    [{ temperature: -0.1 }, "temperature"],
    [{ top_p: 0 }, "top_p"],
    [{ top_p: 1.5 }, "top_p"],
    [{ top_k: 1.5 }, "top_k"],
    [{ max_new_tokens: 0 }, "max_new_tokens"],
    [{ eos_token_id: [] }, "eos_token_id"],
    [{ pad_token_id: -1 }, "pad_token_id"],
  ])("rejects %j", (input, field) => {
    const parsed = GenerationConfigSchema.safeParse(input);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path[0]).toBe(field);
  });
});
