import { describe, expect, it } from "vitest";
import { parameterShapes } from "../model-config";
import { PolicyError } from "../policy-error";
import { tinyConfig } from "./test-fixtures";
import { checkWeightShapes } from "./weight-check";

describe("checkWeightShapes", () => {
  const config = tinyConfig();

  it("accepts exactly parameterShapes(config) with no warnings", () => {
    expect(checkWeightShapes(config, parameterShapes(config), "ckpt")).toEqual({ warnings: [], ignored: [] });
  });

  it("lists every missing, misshapen and unexpected parameter in one error", () => {
    const shapes = parameterShapes(config);
    shapes.delete("model.norm.weight");
    shapes.delete("model.layers.1.mlp.up_proj.weight");
    // q_proj is [heads · head_dim, d] = [2 · 4, 8] = [8, 8].
    shapes.set("model.layers.0.self_attn.q_proj.weight", [4, 8]);
    shapes.set("model.layers.2.input_layernorm.weight", [8]);
    shapes.set("extra", [1]);
    let message = "";
    try {
      checkWeightShapes(config, shapes, "/ckpt");
    } catch (error) {
      expect(error).toBeInstanceOf(PolicyError);
      message = (error as PolicyError).message;
    }
    expect(message).toBe(
      [
        "/ckpt: the weights do not match the config (5 problems):",
        "  missing: model.layers.1.mlp.up_proj.weight [16, 8]",
        "  missing: model.norm.weight [8]",
        "  model.layers.0.self_attn.q_proj.weight: expected [8, 8], found [4, 8]",
        "  unexpected: extra [1]",
        "  unexpected: model.layers.2.input_layernorm.weight [8]",
        "Check that config.json belongs to these weights (sizes, num_hidden_layers, attention_bias, tie_word_embeddings).",
      ].join("\n"),
    );
  });

  it("accepts lm_head.weight in a tied config with a warning, and requires it when untied", () => {
    const shapes = parameterShapes(config);
    shapes.set("lm_head.weight", [11, 8]);
    const result = checkWeightShapes(config, shapes, "ckpt");
    expect(result.ignored).toEqual(["lm_head.weight"]);
    expect(result.warnings).toEqual([
      "lm_head.weight [11, 8] is ignored: tie_word_embeddings is true, so the output projection is model.embed_tokens.weight",
    ]);
    const untied = tinyConfig({ tie_word_embeddings: false });
    expect(() => checkWeightShapes(untied, parameterShapes(config), "ckpt")).toThrow(
      "missing: lm_head.weight [11, 8]",
    );
  });

  it("treats a rank difference as a mismatch", () => {
    const shapes = parameterShapes(config);
    shapes.set("model.norm.weight", [8, 1]);
    expect(() => checkWeightShapes(config, shapes, "ckpt")).toThrow(
      "model.norm.weight: expected [8], found [8, 1]",
    );
  });
});
