import { describe, expect, it } from "vitest";
import { TaskSchema } from "./task";
import { CoreValidationError, parseWith } from "./validate";

describe("TaskSchema", () => {
  it("accepts a minimal task and a full one with a list of acceptable answers", () => {
    expect(parseWith(TaskSchema, { id: "t1", question: "2+2?", answer: "4" }, "Task").answer).toBe("4");
    const full = parseWith(
      TaskSchema,
      {
        id: "t2",
        question: "Which?",
        answer: ["B", "blue"],
        choices: ["red", "blue"],
        images: ["data:image/png;base64,AAAA"],
        toolNecessity: "unnecessary",
        prompt: [
          { role: "system", content: "You are an efficient problem-solving agent." },
          {
            role: "user",
            content: [
              { type: "image", image: "a.png" },
              { type: "text", text: "Which?" },
            ],
          },
        ],
        extraInfo: { index: "src_index_0", pass8: 0.25 },
      },
      "Task",
    );
    expect(full.answer).toEqual(["B", "blue"]);
    expect(full.extraInfo?.pass8).toBe(0.25);
  });

  it("names every bad field and says what to do", () => {
    let caught: unknown;
    try {
      parseWith(TaskSchema, { id: "", question: 3, answer: [], toolNecessity: "sometimes" }, "Task");
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(CoreValidationError);
    const error = caught as CoreValidationError;
    expect(error.issues.map((i) => i.path).sort()).toEqual(["answer", "id", "question", "toolNecessity"]);
    expect(error.message).toMatch(/^invalid Task: /);
    expect(error.message).toContain("a task needs a non-empty id");
    expect(error.message).toContain("a list of acceptable answers must not be empty");
    expect(error.message).toContain("Fix these fields");
  });

  it("rejects an image part without an image and an unknown role", () => {
    const bad = {
      id: "t",
      question: "q",
      answer: "a",
      prompt: [{ role: "robot", content: [{ type: "image", image: "" }] }],
    };
    const result = TaskSchema.safeParse(bad);
    expect(result.success).toBe(false);
    const paths = result.error!.issues.map((i) => i.path.join("."));
    expect(paths).toContain("prompt.0.role");
    expect(paths).toContain("prompt.0.content.0.image");
  });
});
