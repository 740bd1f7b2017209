import { describe, expect, it } from "vitest";
import { extractAnswer } from "./extract-answer";
import { formatReward } from "./format-reward";
import { RewardsError } from "./rewards-error";

// An observation as it appears in the decoded response: the chat-template special tokens around it are
// skipped by the decoder, leaving the role names.
const observation = (text: string): string => `\nuser\n${text}\nassistant\n`;

// A paraphrase of the reference's notice for a deduplicated image_search call (metis-protocol.md §2: it says
// the tool was already called 1 time(s) with identical results, not to call it again, and to answer with
// <answer> tags). The exact wording is not in our spec; what matters is which tags it contains.
const dedupNoticeWithOpenTag =
  "image_search has already been called 1 time(s) and returned identical results. Do not call it again; " +
  "give your final answer within <answer> tags.";
const dedupNoticeWithPair =
  "image_search has already been called 1 time(s) and returned identical results. Do not call it again; " +
  "give your final answer as <answer></answer>.";
const imageSearchCall = '<tool_call>{"name": "image_search", "arguments": {}}</tool_call>';

describe("formatReward", () => {
  it("scores a plain reason-then-answer response 1", () => {
    expect(formatReward("<reason>2+2=4</reason><answer>4</answer>")).toBe(1);
  });

  it("scores a multi-turn tool-using response 1", () => {
    const text =
      '<reason>compute</reason><tool_call>{"name": "python", "arguments": {"code": "print(2+2)"}}</tool_call>' +
      observation("Code execution result:\nstdout:\n```\n4\n```") +
      "<reason>it printed 4</reason><answer>4</answer>";
    expect(formatReward(text)).toBe(1);
  });

  it("needs at least one answer: none scores 0", () => {
    expect(formatReward("<reason>r</reason>")).toBe(0);
    expect(formatReward("")).toBe(0);
  });

  it("does not need a <reason> at all: the whole text is the tail", () => {
    expect(formatReward("<answer>4</answer>")).toBe(1);
  });

  it("scores 0 when the answer is only inside a <reason> block", () => {
    // Tail after the last </reason> is "" → 0 answers.
    expect(formatReward("<reason>so <answer>4</answer></reason>")).toBe(0);
  });

  it("ignores answer tags before the last </reason> (they need not balance)", () => {
    // Whole text: <answer> ×2, </answer> ×1; tail "<answer>4</answer>": 1 = 1 ≥ 1 → 1.
    expect(formatReward("<reason>draft <answer>3</reason><reason>r</reason><answer>4</answer>")).toBe(1);
  });

  it("scores 0 for a missing closing answer tag", () => {
    expect(formatReward("<reason>r</reason><answer>4")).toBe(0);
  });

  it("scores 0 for a missing closing reason tag", () => {
    // <reason> ×2, </reason> ×1.
    expect(formatReward("<reason>a</reason><reason>b<answer>4</answer>")).toBe(0);
  });

  it("scores 0 for a missing closing tool_call tag", () => {
    expect(formatReward("<reason>r</reason><tool_call>{}<answer>4</answer>")).toBe(0);
  });

  it("counts tags, not their order: closing tags before opening tags still balance", () => {
    // </reason> ×1 = <reason> ×1; the last </reason> is the first one, so the tail is
    // "<reason></tool_call><tool_call></answer><answer>": </answer> ×1 = <answer> ×1.
    expect(formatReward("</reason><reason></tool_call><tool_call></answer><answer>")).toBe(1);
  });

  it("accepts several balanced answers after the last </reason>", () => {
    expect(formatReward("<reason>r</reason><answer>3</answer><answer>4</answer>")).toBe(1);
  });

  it("scores 0 for nested answers with one closing tag missing", () => {
    // tail: <answer> ×2, </answer> ×1.
    expect(formatReward("<reason>r</reason><answer><answer>4</answer>")).toBe(0);
  });

  it("is case-sensitive: <Answer> is not an answer tag", () => {
    expect(formatReward("<reason>r</reason><Answer>4</Answer>")).toBe(0);
  });

  it("does not care about CRLF or unicode around the tags", () => {
    expect(formatReward("<reason>\r\n计算 π\r\n</reason>\r\n<answer>\r\n3.14 😀\r\n</answer>\r\n")).toBe(1);
  });

  describe("tags inside observations count (the reference scores the decoded response with them)", () => {
    it("a dedup notice with <answer>, followed by a new reason and answer: format 1, but the extracted answer is garbage", () => {
      const text =
        "<reason>look it up</reason>" +
        imageSearchCall +
        observation("No result found for image search.") +
        "<reason>again</reason>" +
        imageSearchCall +
        observation(dedupNoticeWithOpenTag) +
        "<reason>answer now</reason><answer>B</answer>";
      // <reason> 3 = </reason> 3; <tool_call> 2 = </tool_call> 2; tail "<answer>B</answer>" → 1.
      expect(formatReward(text)).toBe(1);
      // The first <answer> is the notice's, so the lazy match runs to the model's </answer>: the reference
      // sends this span, not "B", to the judge.
      expect(extractAnswer(text)).toBe("tags.\nassistant\n<reason>answer now</reason><answer>B");
    });

    it("a dedup notice with <answer> answered without a new reason: format 0", () => {
      const text =
        "<reason>look it up</reason>" +
        imageSearchCall +
        observation(dedupNoticeWithOpenTag) +
        "<answer>B</answer>";
      // Tail after the only </reason> holds the notice's <answer> too: 2 opens, 1 close → 0.
      expect(formatReward(text)).toBe(0);
    });

    it("a dedup notice with an <answer></answer> pair: format 1, extracted answer empty", () => {
      const text =
        "<reason>look it up</reason>" +
        imageSearchCall +
        observation(dedupNoticeWithPair) +
        "<answer>B</answer>";
      // Tail: <answer> 2, </answer> 2 → 1.
      expect(formatReward(text)).toBe(1);
      expect(extractAnswer(text)).toBe("");
    });

    it("a tool_call tag quoted in an observation unbalances the count", () => {
      const text =
        "<reason>r</reason>" +
        imageSearchCall +
        observation("Error: could not parse <tool_call> block") +
        "<reason>r</reason><answer>B</answer>";
      // <tool_call> 2, </tool_call> 1 → 0.
      expect(formatReward(text)).toBe(0);
    });
  });

  it("throws a RewardsError for a non-string", () => {
    expect(() => formatReward(null as unknown as string)).toThrow(RewardsError);
    expect(() => formatReward(null as unknown as string)).toThrow(
      "formatReward: text must be a string (the decoded response text), got null.",
    );
  });
});
