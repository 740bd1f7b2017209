import { spawn } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CurationRow } from "../rows/curation-row";
import type { StageDecision } from "../rows/row-decision";
import { createHygieneStage } from "../stages/hygiene-stage";
import type { Stage } from "../stages/stage";
import { runCuration } from "./run-curation";

const packageDir = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const tsx = join(packageDir, "node_modules", ".bin", "tsx");
const bin = join(packageDir, "src", "bin", "hdpo-curate.ts");

/** Synthetic tasks with exact and near duplicates spread over the whole file (so they straddle any kill point). */
function syntheticLines(count: number): string {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const base = i % 7 === 3 ? i - 3 : i; // every 7th row repeats a row 3 earlier…
    const near = i % 11 === 5 ? " please" : ""; // …and some are near duplicates
    const answer = i % 97 === 0 ? "" : String(base);
    lines.push(
      JSON.stringify({
        id: `t${i}`,
        question: `Row ${base}: a farmer has ${base} sheep and buys ${(base * 7) % 13} more at the market, how many now?${near}`,
        answer,
      }),
    );
  }
  return `${lines.join("\n")}\n`;
}

function runCli(args: string[]): {
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
  kill: () => void;
} {
  const child = spawn(tsx, [bin, ...args], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>(
    (resolve) => {
      child.on("exit", (code, signal) => resolve({ code, signal, stderr }));
      // A missing tsx must fail the test at once, not hang it until the timeout.
      child.on("error", (error) => resolve({ code: -1, signal: null, stderr: `${stderr}${error.message}` }));
    },
  );
  return { exit, kill: () => child.kill("SIGKILL") };
}

describe("resume after a kill", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "curate-resume-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("a CLI run killed with SIGKILL and run again writes exactly the uninterrupted output", async () => {
    const input = join(dir, "in.jsonl");
    await writeFile(input, syntheticLines(20_000));
    const common = ["--input", input, "--filters", "hygiene", "--quiet"];
    const reference = await runCli([
      ...common.filter((arg) => arg !== "--quiet"),
      "--output",
      join(dir, "ref", "out.jsonl"),
      "--report",
      join(dir, "ref"),
    ]).exit;
    expect(reference.code, reference.stderr).toBe(0);
    // Progress with an ETA on stderr; the last line is the finished state.
    expect(reference.stderr).toMatch(
      /hdpo-curate: 20000\/20000 rows \(100\.0%\), kept \d+, .* rows\/s, ETA 0s/,
    );

    const output = join(dir, "run", "out.jsonl");
    const journal = `${output}.journal`;
    const args = [...common, "--output", output, "--report", join(dir, "run")];
    const first = runCli(args);
    // Kill once some decisions are durable, well before the end.
    for (let i = 0; i < 2000; i++) {
      if (existsSync(journal) && statSync(journal).size > 60_000) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    first.kill();
    const killed = await first.exit;
    expect(killed.signal).toBe("SIGKILL");
    expect(existsSync(output)).toBe(false);
    const partial =
      (await readFile(journal, "utf8")).split("\n").filter((line) => line.endsWith("}")).length - 1;
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(20_000);

    const second = await runCli(args).exit;
    expect(second.code, second.stderr).toBe(0);
    expect(await readFile(output, "utf8")).toBe(await readFile(join(dir, "ref", "out.jsonl"), "utf8"));
    expect(await readFile(join(dir, "run", "rejected.jsonl"), "utf8")).toBe(
      await readFile(join(dir, "ref", "rejected.jsonl"), "utf8"),
    );
    // Every row decided exactly once across both runs.
    const indices = (await readFile(journal, "utf8"))
      .trim()
      .split("\n")
      .slice(1)
      .map((line) => (JSON.parse(line) as { index: number }).index);
    expect(indices).toHaveLength(20_000);
    expect(new Set(indices).size).toBe(20_000);
    const report = await readFile(join(dir, "run", "report.md"), "utf8");
    expect(report).toContain("| hygiene | 20000 |");
    expect(report).toContain("exact-duplicate");
    expect(report).toContain("near-duplicate");
  }, 240_000);

  it("an aborted run finishes the rows in flight, decides no row twice and loses none", async () => {
    const input = join(dir, "small.jsonl");
    await writeFile(input, syntheticLines(200));
    const calls = new Map<number, number>();
    const controller = new AbortController();
    /** A slow stage that counts how often each row reaches it; aborts the run after 60 rows. */
    const counting = (signal?: AbortController): Stage => ({
      name: "judge",
      concurrency: 4,
      async process(row: CurationRow): Promise<StageDecision> {
        await new Promise((resolve) => setTimeout(resolve, 2));
        if (signal !== undefined && calls.size >= 60) signal.abort();
        calls.set(row.index, (calls.get(row.index) ?? 0) + 1);
        return row.index % 5 === 0
          ? { keep: false, reason: "fifth", detail: "every fifth row" }
          : { keep: true };
      },
    });
    const output = join(dir, "aborted", "out.jsonl");
    const first = await runCuration({
      input,
      output,
      stages: [createHygieneStage(), counting(controller)],
      signal: controller.signal,
    });
    expect(first.completed).toBe(false);
    expect(first.processed).toBeGreaterThan(0);
    expect(existsSync(output)).toBe(false);
    const second = await runCuration({ input, output, stages: [createHygieneStage(), counting()] });
    expect(second.completed).toBe(true);
    expect(second.resumed).toBe(first.processed);
    expect(second.resumed + second.processed).toBe(200);
    // Every row that passed hygiene reached the stage exactly once over both runs.
    const passedHygiene = second.stats!.stages[1]!.rowsIn;
    expect(calls.size).toBe(passedHygiene);
    expect([...calls.values()].every((count) => count === 1)).toBe(true);
    const reference = await runCuration({
      input,
      output: join(dir, "whole", "out.jsonl"),
      stages: [createHygieneStage(), { ...counting(), name: "judge" }],
    });
    expect(await readFile(output, "utf8")).toBe(await readFile(reference.output, "utf8"));
    expect(await readFile(second.rejected, "utf8")).toBe(await readFile(reference.rejected, "utf8"));
  });
});
