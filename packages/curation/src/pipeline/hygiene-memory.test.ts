import { spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const packageDir = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const tsx = join(packageDir, "node_modules", ".bin", "tsx");
const ROWS = 100_000;

/** Runs hygiene over the file in a child process and reports its RSS before and at peak (sampled every 20 ms). */
const CHILD = `
import { runCuration, createHygieneStage } from ${JSON.stringify(join(packageDir, "src", "index.ts"))};
const [input, output] = process.argv.slice(2);
globalThis.gc?.();
const before = process.memoryUsage().rss;
const started = Date.now();
let peak = before;
const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 20);
const result = await runCuration({ input, output, stages: [createHygieneStage()] });
clearInterval(timer);
peak = Math.max(peak, process.memoryUsage().rss);
console.log(JSON.stringify({ seconds: (Date.now() - started) / 1000, before, peak, kept: result.stats.kept, rejected: result.stats.rejected }));
`;

describe("hygiene on a 100,000-row JSONL", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "curate-memory-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("streams with bounded memory (peak RSS growth well under the file's parsed size)", async () => {
    const input = join(dir, "big.jsonl");
    const file = createWriteStream(input);
    for (let i = 0; i < ROWS; i++) {
      // ~600-byte rows (60 MB in all), 1 in 10 an exact duplicate of the row before it
      const n = i % 10 === 9 ? i - 1 : i;
      const line = JSON.stringify({
        id: `r${i}`,
        question: `Question ${n}: ${"lorem ipsum dolor sit amet ".repeat(20)} what is ${n} plus ${n % 17}?`,
        answer: String(n + (n % 17)),
        extraInfo: { source: "synthetic", split: "train" },
      });
      if (!file.write(`${line}\n`)) await new Promise<void>((resolve) => file.once("drain", () => resolve()));
    }
    await new Promise<void>((resolve) => file.end(() => resolve()));
    const script = join(dir, "child.mts");
    await writeFile(script, CHILD);
    const output = join(dir, "out.jsonl");
    const report = await new Promise<string>((resolve, reject) => {
      const child = spawn(tsx, [script, input, output], { stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (chunk: Buffer) => {
        stdout += chunk.toString();
      });
      child.stderr.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      child.on("exit", (code) =>
        code === 0 ? resolve(stdout) : reject(new Error(`child exited ${code}: ${stderr}`)),
      );
      child.on("error", reject);
    });
    const { before, peak, kept, rejected } = JSON.parse(report.trim().split("\n").pop()!) as Record<
      string,
      number
    >;
    expect(kept + rejected).toBe(ROWS);
    expect(rejected).toBe(ROWS / 10);
    const growthMb = (peak! - before!) / 2 ** 20;
    console.log(`hygiene 100k rows: RSS growth ${growthMb.toFixed(1)} MB`, report.trim());
    expect(growthMb).toBeLessThan(150);
    const lines = (await readFile(output, "utf8")).split("\n").filter((line) => line !== "");
    expect(lines).toHaveLength(kept!);
  }, 300_000);
});
