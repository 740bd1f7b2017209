import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { extractAnswer } from "./extract-answer";
import { pythonStrip } from "./python-str";
import { RewardsError } from "./rewards-error";

describe("extractAnswer", () => {
  it("returns the stripped text inside the answer tags", () => {
    expect(extractAnswer("<reason>2+2=4</reason>\n<answer>  4 \n</answer>")).toBe("4");
  });

  it("returns the empty string for an empty pair", () => {
    expect(extractAnswer("<answer></answer>")).toBe("");
    expect(extractAnswer("<answer> \n\t </answer>")).toBe("");
  });

  it("returns undefined when there is no answer tag", () => {
    expect(extractAnswer("")).toBeUndefined();
    expect(extractAnswer("<reason>the answer is 4</reason>")).toBeUndefined();
  });

  it("returns undefined when the closing tag is missing", () => {
    expect(extractAnswer("<answer>4")).toBeUndefined();
  });

  it("returns undefined when only a closing tag precedes an opening tag", () => {
    expect(extractAnswer("</answer> 4 <answer>")).toBeUndefined();
  });

  it("takes the first of several answers", () => {
    expect(extractAnswer("<answer>A</answer> then <answer>B</answer>")).toBe("A");
  });

  it("spans newlines, including CRLF, and strips the CRLF around the answer", () => {
    expect(extractAnswer("<answer>\r\nline 1\r\nline 2\r\n</answer>")).toBe("line 1\r\nline 2");
  });

  it("stops at the first closing tag when answers nest", () => {
    // Lazy match from the first <answer> to the first </answer>: "<answer>outer <answer>inner" → strip.
    expect(extractAnswer("<answer>outer <answer>inner</answer> tail</answer>")).toBe("outer <answer>inner");
  });

  it("pairs an unclosed first <answer> with a later closing tag", () => {
    expect(extractAnswer("<answer>draft\n<answer>final</answer>")).toBe("draft\n<answer>final");
  });

  it("finds an answer that sits inside a <reason> block", () => {
    expect(extractAnswer("<reason>maybe <answer>3</answer>?</reason>")).toBe("3");
  });

  it("keeps unicode inside the answer and strips unicode spaces around it", () => {
    expect(extractAnswer("<answer>\u3000π ≈ 3.14 😀\u00a0</answer>")).toBe("π ≈ 3.14 😀");
  });

  it("strips as Python strips: U+0085 goes, U+FEFF stays", () => {
    expect(extractAnswer("<answer>\u0085x\u0085</answer>")).toBe("x");
    expect(extractAnswer("<answer>\ufeffx</answer>")).toBe("\ufeffx");
  });

  it("does not match tags in another case", () => {
    expect(extractAnswer("<ANSWER>4</ANSWER>")).toBeUndefined();
  });

  it("throws a RewardsError naming the argument for a non-string", () => {
    expect(() => extractAnswer(42 as unknown as string)).toThrow(RewardsError);
    expect(() => extractAnswer(undefined as unknown as string)).toThrow(
      "extractAnswer: text must be a string (the decoded response text), got undefined.",
    );
  });
});

describe("extractAnswer on hostile text", () => {
  it("agrees with the reference's lazy regex on random tag soup", () => {
    const pieces = ["<answer>", "</answer>", "<answer", "answer>", "a", " ", "\n"];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 40 }), (parts) => {
        const text = parts.join("");
        const match = /<answer>([\s\S]*?)<\/answer>/.exec(text);
        expect(extractAnswer(text)).toBe(match === null ? undefined : pythonStrip(match[1] ?? ""));
      }),
    );
  });

  it("stays linear on 60,000 unclosed <answer> tags", () => {
    // Guard against a hang, not a speed target: the lazy regex re-scanned the tail from every tag (seconds here).
    const started = Date.now();
    expect(extractAnswer("<answer>".repeat(60_000))).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
