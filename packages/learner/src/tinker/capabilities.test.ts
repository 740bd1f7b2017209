import { describe, expect, it } from "vitest";
import { checkBaseModel, checkTemperature, learnerCapabilities } from "./capabilities";
import { CapabilitiesSchema } from "./protocol";

describe("learnerCapabilities", () => {
  it("assumes SkyRL fsdp/megatron without the hdpo extension", () => {
    const server = CapabilitiesSchema.parse({ supported_models: [{ model_name: "Qwen/Qwen3-4B" }] });
    expect(learnerCapabilities(server)).toEqual({
      entropy: false,
      images: false,
      adamParams: "learning-rate",
      fixedGradClipNorm: 1,
      temperatures: [1],
    });
  });

  it("reads the hdpo extension", () => {
    const server = CapabilitiesSchema.parse({
      supported_models: [{ model_name: "hdpo" }],
      hdpo: { adam_params: "all", grad_clip_norm: true, temperature: 0.7 },
    });
    expect(learnerCapabilities(server)).toEqual({
      entropy: false,
      images: false,
      adamParams: "all",
      temperatures: [0.7],
    });
  });

  it("rejects a malformed extension", () => {
    const parsed = CapabilitiesSchema.safeParse({
      supported_models: [],
      hdpo: { adam_params: "some", grad_clip_norm: true, temperature: 1 },
    });
    expect(parsed.success).toBe(false);
  });
});

describe("checkBaseModel", () => {
  it("names what the server serves", () => {
    const server = CapabilitiesSchema.parse({ supported_models: [{ model_name: "Qwen/Qwen3-4B" }] });
    expect(() => checkBaseModel(server, "Qwen/Qwen3-4B", "http://h")).not.toThrow();
    expect(() => checkBaseModel(server, "Qwen/Qwen3-8B", "http://h")).toThrow(
      'the Tinker server at http://h serves "Qwen/Qwen3-4B", not "Qwen/Qwen3-8B"; pass a served model as baseModel',
    );
  });
});

describe("checkTemperature", () => {
  it("accepts the served temperature only", () => {
    const capabilities = learnerCapabilities(CapabilitiesSchema.parse({ supported_models: [] }));
    expect(checkTemperature(capabilities, undefined, "forward")).toBe(1);
    expect(() => checkTemperature(capabilities, 0.7, "forward")).toThrow(
      "forward: temperature 0.7 asked, but this Tinker server scores log-probs at temperature 1 only",
    );
  });
});
