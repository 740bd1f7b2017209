import { describe, expect, it } from "vitest";
import { BLOCK_END, BLOCK_START, replaceGeneratedBlock } from "./generated-block";

describe("replaceGeneratedBlock", () => {
  it("replaces only what lies between the markers", () => {
    const page = `# Title\n${BLOCK_START}\nold\n${BLOCK_END}\nafter\n`;
    expect(replaceGeneratedBlock(page, "new table\n")).toBe(
      `# Title\n${BLOCK_START}\nnew table\n${BLOCK_END}\nafter\n`,
    );
  });

  it("is idempotent", () => {
    const page = `a\n${BLOCK_START}\n${BLOCK_END}\nb`;
    const once = replaceGeneratedBlock(page, "x");
    expect(replaceGeneratedBlock(once, "x")).toBe(once);
  });

  it("refuses a page without the markers, with them reversed, or with two blocks", () => {
    expect(() => replaceGeneratedBlock("no markers", "x")).toThrow(/expected exactly one/);
    expect(() => replaceGeneratedBlock(`${BLOCK_END}\n${BLOCK_START}`, "x")).toThrow(/expected exactly one/);
    expect(() => replaceGeneratedBlock(`${BLOCK_START}${BLOCK_START}${BLOCK_END}`, "x")).toThrow(
      /expected exactly one/,
    );
  });
});
