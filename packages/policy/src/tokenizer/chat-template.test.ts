import type { Message } from "@hdpo/core";
import { describe, expect, it } from "vitest";
import { PolicyError } from "../policy-error";
import { IMAGE_PLACEHOLDER, renderChat, renderObservation } from "./chat-template";

describe("renderChat", () => {
  const messages: Message[] = [
    { role: "system", content: "You are an efficient problem-solving agent." },
    {
      role: "user",
      content: [
        { type: "image", image: "data:image/png;base64,AAAA" },
        { type: "text", text: "What is " },
        { type: "text", text: "shown?" },
      ],
    },
  ];

  it("renders ChatML with image placeholders and a generation prompt", () => {
    expect(renderChat(messages, { addGenerationPrompt: true })).toBe(
      "<|im_start|>system\nYou are an efficient problem-solving agent.<|im_end|>\n" +
        "<|im_start|>user\n<|vision_start|><|image_pad|><|vision_end|>What is shown?<|im_end|>\n" +
        "<|im_start|>assistant\n",
    );
    expect(IMAGE_PLACEHOLDER).toBe("<|vision_start|><|image_pad|><|vision_end|>");
  });

  it("adds no generation prompt unless asked and renders nothing for no messages", () => {
    expect(renderChat([{ role: "assistant", content: "hi" }])).toBe("<|im_start|>assistant\nhi<|im_end|>\n");
    expect(renderChat([])).toBe("");
    expect(renderChat([], { addGenerationPrompt: true })).toBe("<|im_start|>assistant\n");
  });

  it("rejects malformed messages", () => {
    expect(() => renderChat([{ role: "user", content: [{ type: "audio" }] } as unknown as Message])).toThrow(
      /messages\[0\].content\[0\] has type "audio"/,
    );
    expect(() => renderChat([{ role: "", content: "x" } as unknown as Message])).toThrow(PolicyError);
    expect(() => renderChat("x" as unknown as Message[])).toThrow(/must be an array/);
  });
});

describe("renderObservation", () => {
  it("is exactly the reference's observation turn", () => {
    expect(renderObservation("Code execution result:\nstdout:\n```\n42\n```")).toBe(
      "<|im_end|>\n<|im_start|>user\nCode execution result:\nstdout:\n```\n42\n```<|im_end|>\n<|im_start|>assistant\n",
    );
    expect(renderObservation("")).toBe("<|im_end|>\n<|im_start|>user\n<|im_end|>\n<|im_start|>assistant\n");
    expect(() => renderObservation(undefined as unknown as string)).toThrow(PolicyError);
  });
});
