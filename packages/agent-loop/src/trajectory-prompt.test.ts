import { describe, expect, it } from "vitest";
import { buildPromptMessages } from "./trajectory-prompt";

describe("buildPromptMessages", () => {
  it("fills <image> slots in order and puts extra images first", () => {
    const msgs = buildPromptMessages(
      { id: "t", question: "a<image>b", answer: "x", images: ["i1", "i2"] },
      "sys",
    );
    expect(msgs).toEqual([
      { role: "system", content: "sys" },
      {
        role: "user",
        content: [
          { type: "image", image: "i2" },
          { type: "text", text: "a" },
          { type: "image", image: "i1" },
          { type: "text", text: "b" },
        ],
      },
    ]);
  });

  it("uses the task's own prompt as is, and plain text without images", () => {
    const prompt = [{ role: "user" as const, content: "given" }];
    expect(buildPromptMessages({ id: "t", question: "q", answer: "x", prompt }, "sys")).toEqual(prompt);
    expect(buildPromptMessages({ id: "t", question: "q", answer: "x" })).toEqual([
      { role: "user", content: "q" },
    ]);
  });
});
