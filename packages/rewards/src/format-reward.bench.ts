import { bench, describe } from "vitest";
import { extractAnswer } from "./extract-answer";
import { formatReward } from "./format-reward";

// About the reference's longest response (16,384 tokens ≈ 64k characters): ten tool turns with observations.
const turn =
  "<reason>" +
  "think ".repeat(600) +
  '</reason><tool_call>{"name": "python", "arguments": {"code": "print(1)"}}</tool_call>' +
  "\nuser\nCode execution result:\nstdout:\n```\n1\n```\n" +
  "x".repeat(2000) +
  "\nassistant\n";
const response = turn.repeat(10) + "<reason>done</reason><answer>42</answer>";

describe(`a ${response.length}-character response`, () => {
  bench("formatReward", () => {
    formatReward(response);
  });

  bench("extractAnswer", () => {
    extractAnswer(response);
  });
});
