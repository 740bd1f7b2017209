import { execFileSync } from "node:child_process";
import { pythonStrip } from "@hdpo/rewards";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sanitizeOutput, stripLeadingSpacesAndNewlines } from "./output-text";
import { formatPythonObservation } from "./python-observation";

/** Characters where Python and JS disagree or that sit at the edges of the whitespace ranges. */
const EDGE_CHARS = [
  "\t",
  "\n",
  "\v",
  "\f",
  "\r",
  " ",
  "\x1b",
  "\x1c",
  "\x1d",
  "\x1e",
  "\x1f",
  "\x84",
  "\x85",
  "\x86",
  "\xa0",
  "\u1680",
  "\u1fff",
  "\u2000",
  "\u200a",
  "\u200b",
  "\u2028",
  "\u2029",
  "\u202f",
  "\u205f",
  "\u3000",
  "\ufeff",
  "x",
  "é",
  "😀",
  "\ud800",
];

function pythonJson(script: string, input: unknown): unknown {
  // ensure_ascii round-trips lone surrogates both ways; one interpreter run checks the whole batch.
  const out = execFileSync("python3", ["-I", "-c", script], {
    input: JSON.stringify(input),
    maxBuffer: 64 << 20,
  });
  return JSON.parse(out.toString("utf8"));
}

// The observation's strip is @hdpo/rewards' pythonStrip (one implementation of the rule); checked here against a
// real interpreter because the tool server's observations depend on it byte for byte.
describe("pythonStrip", () => {
  it("uses exactly Python's str.isspace set over the whole BMP", () => {
    const spaces = pythonJson(
      "import json; print(json.dumps([c for c in range(0x10000) if chr(c).isspace()]))",
      null,
    ) as number[];
    const ours: number[] = [];
    for (let code = 0; code < 0x10000; code++)
      if (pythonStrip(String.fromCharCode(code)) === "") ours.push(code);
    expect(ours).toEqual(spaces);
  });

  it("matches Python's str.strip() on random strings (one batch through a real interpreter)", () => {
    const strings = fc.sample(
      fc
        .array(fc.oneof(fc.constantFrom(...EDGE_CHARS), fc.string({ maxLength: 3, unit: "binary" })), {
          maxLength: 24,
        })
        .map((parts) => parts.join("")),
      { numRuns: 3000, seed: 17 },
    );
    const stripped = pythonJson(
      "import json, sys; print(json.dumps([s.strip() for s in json.load(sys.stdin)]))",
      strings,
    ) as string[];
    expect(strings.map(pythonStrip)).toEqual(stripped);
  });

  it("is linear: a quarter-megabyte whitespace run strips at once (the old regex took tens of seconds)", () => {
    const text = `${" ".repeat(262_000)}x${" \n".repeat(131_000)}`;
    const started = performance.now();
    expect(pythonStrip(text)).toBe("x");
    // A generous guard, not a timing assertion: the quadratic version took 30-75 s here.
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it("keeps the observation of a long whitespace print fast and exact", () => {
    const stdout = `${" ".repeat(262_000)}x\n`;
    const started = performance.now();
    const observation = formatPythonObservation(
      { stdout, stderr: "", images: [], success: true, timedOut: false, terminated: false },
      "print(' ' * 262000 + 'x')",
    );
    expect(performance.now() - started).toBeLessThan(5000);
    expect(observation.obs).toBe(
      `Code execution result:\nstdout:\n\`\`\`\n${stdout}\n\`\`\`\n\nstderr:\n\`\`\`\n\n\`\`\``,
    );
  });
});

describe("stripLeadingSpacesAndNewlines", () => {
  it("removes only leading spaces and newlines", () => {
    expect(stripLeadingSpacesAndNewlines(" \n \nx \n")).toBe("x \n");
    expect(stripLeadingSpacesAndNewlines("\tx")).toBe("\tx");
    expect(stripLeadingSpacesAndNewlines("")).toBe("");
    expect(stripLeadingSpacesAndNewlines(" \n")).toBe("");
  });
});

describe("sanitizeOutput", () => {
  it("removes CSI sequences exactly where the reference's ANSI pattern does", () => {
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the reference's own pattern, as the oracle
    const reference = /\u001B\[[0-?]*[ -/]*[@-~]/g;
    const parts = [
      "\x1b[",
      "\x1b[31m",
      "\x1b[0;1;32m",
      "\x1b[?25l",
      "\x1b[2 q",
      "31",
      ";",
      "m",
      "plain",
      "é",
      " ",
    ];
    for (const text of fc.sample(
      fc.array(fc.constantFrom(...parts), { maxLength: 12 }).map((p) => p.join("")),
      {
        numRuns: 2000,
        seed: 3,
      },
    )) {
      // Where the reference leaves an ESC (no final byte), the sanitizer drops that ESC as a control character.
      expect(sanitizeOutput(text)).toBe(text.replace(reference, "").replaceAll("\x1b", ""));
    }
  });

  it("removes OSC strings (BEL, ESC \\ or C1 ST terminated) and C1 CSI sequences", () => {
    expect(sanitizeOutput("a\x1b]0;title\x07b")).toBe("ab");
    expect(sanitizeOutput("a\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\b")).toBe("alinkb");
    expect(sanitizeOutput("a\x9d52;c;payload\x9cb")).toBe("ab");
    expect(sanitizeOutput("a\x9b31mred\x9b0m")).toBe("ared");
    // unterminated: only the introducer goes, the rest is inert text
    expect(sanitizeOutput("a\x1b]0;title")).toBe("a]0;title");
  });

  it("drops C0 controls except tab and newline, DEL and C1, and keeps everything printable", () => {
    expect(sanitizeOutput("a\rb\bc\x00d\x07e\x0bf\x0cg\x7fh\x85i\x80j\x9fk\tl\nm")).toBe("abcdefghijk\tl\nm");
    const printable = "plain ASCII, é, 日本, 😀, \ud800, \u00a0, \u2028 and \ufeff stay";
    expect(sanitizeOutput(printable)).toBe(printable);
    expect(sanitizeOutput("")).toBe("");
  });

  it("leaves no control character in any output", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 64 }), (text) => {
        for (const char of sanitizeOutput(text)) {
          const code = char.charCodeAt(0);
          expect((code < 0x20 && code !== 0x09 && code !== 0x0a) || (code >= 0x7f && code <= 0x9f)).toBe(
            false,
          );
        }
      }),
      { numRuns: 2000, seed: 5 },
    );
  });

  it("is linear on long runs of sequence starts", () => {
    const text = `${"\x1b[".repeat(100_000)}${"\x1b]".repeat(100_000)}${"1;".repeat(100_000)}`;
    const started = performance.now();
    const out = sanitizeOutput(text);
    expect(performance.now() - started).toBeLessThan(5000);
    expect(out.includes("\x1b")).toBe(false);
  });
});
