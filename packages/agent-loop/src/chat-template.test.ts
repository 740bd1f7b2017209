import { describe, expect, it } from "vitest";
import { countImages, IMAGE_PLACEHOLDER, renderQwenChat } from "./chat-template";

describe("renderQwenChat", () => {
  it("equals the reference's observation-turn concatenation for a tool round", () => {
    const action = '<tool_call>{"name":"python","arguments":{"code":"1"}}</tool_call>';
    const rendered = renderQwenChat([
      { role: "user", content: "Q" },
      { role: "assistant", content: action },
      { role: "tool", content: "obs" },
    ]);
    // verl-tool: prompt + action + "<|im_end|>\n<|im_start|>user\n{obs}<|im_end|>\n<|im_start|>assistant\n"
    const reference = `<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n${action}<|im_end|>\n<|im_start|>user\nobs<|im_end|>\n<|im_start|>assistant\n`;
    expect(rendered).toBe(reference);
  });

  it("renders image parts in place, and can leave out the generation prompt", () => {
    const messages = [
      {
        role: "user" as const,
        content: [
          { type: "text" as const, text: "a" },
          { type: "image" as const, image: "x.png" },
        ],
      },
    ];
    expect(renderQwenChat(messages, { addGenerationPrompt: false })).toBe(
      `<|im_start|>user\na${IMAGE_PLACEHOLDER}<|im_end|>\n`,
    );
    expect(countImages(messages)).toBe(1);
    expect(() => renderQwenChat([])).toThrow(/non-empty/);
  });
});
