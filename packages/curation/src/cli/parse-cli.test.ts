import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { STAGE_NAMES } from "../stages/stage";
import { CliUsageError, HELP, parseCli } from "./parse-cli";

const packageDir = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

describe("parseCli", () => {
  it("parses a full command line with defaults", () => {
    const options = parseCli(
      [
        "--input",
        "a.jsonl",
        "--output",
        "b.jsonl",
        "--filters",
        "hygiene,necessity,mixed",
        "--base-url",
        "http://127.0.0.1:1/v1",
        "--band",
        "0.1,0.9",
        "--report",
        "r",
      ],
      {},
    );
    expect(options).toMatchObject({
      input: "a.jsonl",
      output: "b.jsonl",
      filters: ["hygiene", "necessity", "mixed"],
      k: 8,
      band: [0.1, 0.9],
      concurrency: 4,
      report: "r",
      baseUrl: "http://127.0.0.1:1/v1",
    });
  });

  it("rejects bad command lines with a message that says what to fix", () => {
    const base = ["--input", "a", "--output", "b"];
    const cases: [string[], RegExp][] = [
      [[...base, "--filters", "hygiene", "--bogus"], /Unknown option '--bogus'/],
      [[...base, "--filters", "hygene"], /unknown filter "hygene"; the filters are hygiene, reexec/],
      [[...base, "--filters", "necessity"], /need --base-url/],
      [[...base, "--filters", "judge"], /needs --judge-base-url/],
      [[...base, "--filters", "hygiene", "--k", "0"], /--k must be a positive integer/],
      [[...base, "--filters", "hygiene", "--band", "0.5,0.2"], /--band must be LOW,HIGH/],
      [["--output", "b", "--filters", "hygiene"], /--input is required/],
      [
        [...base, "--filters", "necessity", "--base-url", "localhost:8000"],
        /--base-url must be an http\(s\) URL/,
      ],
      [
        [...base, "--filters", "judge", "--judge-base-url", "ftp://x"],
        /--judge-base-url must be an http\(s\) URL/,
      ],
      [
        [...base, "--filters", "hygiene", "--max-infra-failures", "0"],
        /--max-infra-failures must be a positive/,
      ],
    ];
    for (const [argv, message] of cases) expect(() => parseCli(argv, {}), argv.join(" ")).toThrow(message);
    expect(() => parseCli(["--filters"], {})).toThrow(CliUsageError);
  });

  it("--help names every filter with its one-line description", () => {
    expect(parseCli(["--help"], {})).toBe("help");
    for (const name of STAGE_NAMES) expect(HELP).toMatch(new RegExp(`^  ${name} +\\S`, "m"));
  });

  it("the bin exits 2 on a bad flag and 0 on --help", () => {
    const tsx = join(packageDir, "node_modules", ".bin", "tsx");
    const bin = join(packageDir, "src", "bin", "hdpo-curate.ts");
    const bad = spawnSync(tsx, [bin, "--input", "x", "--output", "y", "--filters", "nope"], {
      encoding: "utf8",
    });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('unknown filter "nope"');
    const help = spawnSync(tsx, [bin, "--help"], { encoding: "utf8" });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain("reexec");
  });
});
