import { describe, expect, it } from "vitest";
import { judgeEndpointFromEnv } from "./judge-endpoint";

describe("judgeEndpointFromEnv", () => {
  it("defaults to the reference's local vLLM endpoint", () => {
    expect(judgeEndpointFromEnv({})).toEqual({ baseURL: "http://localhost:8000/v1", apiKey: "EMPTY" });
    expect(judgeEndpointFromEnv({ JUDGE_BASE_URL: " ", JUDGE_API_KEY: "" }).apiKey).toBe("EMPTY");
  });

  it("reads JUDGE_BASE_URL and JUDGE_API_KEY", () => {
    expect(judgeEndpointFromEnv({ JUDGE_BASE_URL: "http://judge:9000/v1", JUDGE_API_KEY: "sk-1" })).toEqual({
      baseURL: "http://judge:9000/v1",
      apiKey: "sk-1",
    });
  });
});
