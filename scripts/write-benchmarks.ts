/**
 * Collects the JSON that `vitest bench --outputJson .bench/results.json` wrote in each package and renders
 * docs/benchmarks.md with the machine described, so that numbers are never quoted without their machine.
 * Run by `pnpm bench` after the benchmarks; it writes the page atomically.
 *
 * `--only NAME` (a package's name, after `pnpm --filter NAME bench`) replaces that package's section and keeps the
 * others as the page has them. A package with a committed baseline (docs/benchmarks/baselines/<dir>.json: a
 * results.json of an earlier commit, run on the same machine just before, plus `commit` and `note`) gets its
 * benchmarks side by side with it, the ratio computed here.
 */
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

interface BenchResult {
  name: string;
  hz: number;
  mean: number;
  median?: number;
  p99: number;
  rme: number;
  sampleCount: number;
}
interface BenchFile {
  filepath: string;
  groups: { fullName: string; benchmarks: BenchResult[] }[];
}
interface Baseline {
  commit: string;
  note: string;
  files: BenchFile[];
}

const root = path.resolve(import.meta.dirname, "..");
const output = path.join(root, "docs", "benchmarks.md");
const GENERATED_START = "<!-- bench:start -->";
const GENERATED_END = "<!-- bench:end -->";

function formatMs(ms: number): string {
  if (ms < 0.01) return `${(ms * 1000).toFixed(2)} µs`;
  if (ms < 10) return `${ms.toFixed(3)} ms`;
  return `${ms.toFixed(1)} ms`;
}

function machineDescription(): string {
  const cpus = os.cpus();
  const model = cpus[0]?.model.trim() ?? "unknown CPU";
  const memoryGiB = (os.totalmem() / 2 ** 30).toFixed(0);
  return [
    `- CPU: ${model}, ${cpus.length} logical cores available to the process`,
    `- Memory: ${memoryGiB} GiB; no GPU`,
    `- OS: ${os.type()} ${os.release()} (${os.arch()})`,
    `- Node.js ${process.version}`,
    `- Date: ${new Date().toISOString().slice(0, 10)}`,
  ].join("\n");
}

/** Medians of the baseline next to this run's, for the benchmarks both have (matched by group and name). */
function renderBaseline(files: BenchFile[], baseline: Baseline): string[] {
  const before = new Map<string, BenchResult>();
  for (const file of baseline.files)
    for (const group of file.groups)
      for (const b of group.benchmarks) before.set(`${group.fullName} > ${b.name}`, b);
  const lines = [
    `**Side by side with commit ${baseline.commit}** (${baseline.note})`,
    "",
    "| benchmark | median before | median now | now / before |",
    "| --- | ---: | ---: | ---: |",
  ];
  for (const file of files) {
    for (const group of file.groups) {
      for (const b of group.benchmarks) {
        const old = before.get(`${group.fullName} > ${b.name}`);
        if (old === undefined) continue;
        const [was, now] = [old.median ?? old.mean, b.median ?? b.mean];
        lines.push(`| ${b.name} | ${formatMs(was)} | ${formatMs(now)} | ${(now / was).toFixed(2)} |`);
      }
    }
  }
  lines.push("");
  return lines;
}

function renderPackage(name: string, files: BenchFile[], baseline?: Baseline): string {
  const lines = [`### ${name}`, ""];
  if (baseline !== undefined) lines.push(...renderBaseline(files, baseline));
  for (const file of files) {
    for (const group of file.groups) {
      lines.push(`**${group.fullName}**`, "");
      lines.push("| benchmark | mean | median | p99 | ops/s | ±rme | samples |");
      lines.push("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
      for (const b of group.benchmarks) {
        lines.push(
          `| ${b.name} | ${formatMs(b.mean)} | ${formatMs(b.median ?? b.mean)} | ${formatMs(b.p99)} | ` +
            `${b.hz.toFixed(b.hz < 100 ? 2 : 0)} | ${b.rme.toFixed(2)}% | ${b.sampleCount} |`,
        );
      }
      lines.push("", ...relativeToFirst(group.benchmarks));
    }
  }
  return lines.join("\n");
}

/**
 * For a group of alternatives measured side by side in one run: each one's median as a ratio of the first's (the
 * ratio is computed here, never typed by hand).
 */
function relativeToFirst(benchmarks: readonly BenchResult[]): string[] {
  const [first, ...others] = benchmarks;
  if (first === undefined || others.length === 0) return [];
  const base = first.median ?? first.mean;
  const ratios = others.map((b) => `${b.name}: ${((b.median ?? b.mean) / base).toFixed(3)}×`);
  return [`Median relative to “${first.name}”: ${ratios.join("; ")}.`, ""];
}

const only = (() => {
  const at = process.argv.indexOf("--only");
  return at >= 0 ? process.argv[at + 1] : undefined;
})();

function baselineOf(pkgDir: string): Baseline | undefined {
  const file = path.join(root, "docs", "benchmarks", "baselines", `${pkgDir}.json`);
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Baseline) : undefined;
}

/** The page's current section of each package, by the name in its heading. */
function sectionsOnPage(block: string): Map<string, string> {
  const sections = new Map<string, string>();
  const parts = block.split(/^(?=### )/m).slice(1);
  for (const part of parts) sections.set(part.slice(4, part.indexOf("\n")).trim(), part.trimEnd());
  return sections;
}

function collect(previousBlock: string): string {
  const kept = only === undefined ? new Map<string, string>() : sectionsOnPage(previousBlock);
  const sections: string[] = [];
  for (const dir of ["packages", "apps"]) {
    const base = path.join(root, dir);
    if (!existsSync(base)) continue;
    for (const pkg of readdirSync(base).sort()) {
      const resultPath = path.join(base, pkg, ".bench", "results.json");
      const packageJson = path.join(base, pkg, "package.json");
      if (!existsSync(packageJson)) continue;
      // The package's own name: apps/trainer and packages/trainer must not share a heading.
      const { name } = JSON.parse(readFileSync(packageJson, "utf8")) as { name: string };
      if (only !== undefined && name !== only) {
        const section = kept.get(name);
        if (section !== undefined) sections.push(`${section}\n`);
        continue;
      }
      if (!existsSync(resultPath)) continue;
      const parsed = JSON.parse(readFileSync(resultPath, "utf8")) as { files: BenchFile[] };
      const section = renderPackage(name, parsed.files, baselineOf(pkg));
      // A section refreshed alone says when and where; the Machine block above is the full run's.
      sections.push(
        only === undefined
          ? section
          : section.replace("\n\n", `\n\nRefreshed alone (\`--only\`) on:\n\n${machineDescription()}\n\n`),
      );
    }
  }
  if (sections.length === 0) {
    throw new Error(
      "no benchmark results found: run `pnpm bench` (it writes packages/*/.bench/results.json) first",
    );
  }
  return sections.join("\n");
}

// Keep the hand-written analysis around the generated block; create the page the first time.
const previous = existsSync(output) ? readFileSync(output, "utf8") : "";
const start = previous.indexOf(GENERATED_START);
const end = previous.indexOf(GENERATED_END);
const previousBlock = start >= 0 && end > start ? previous.slice(start, end) : "";
const previousMachine = previousBlock.slice(
  previousBlock.indexOf("## Machine\n\n") + "## Machine\n\n".length,
  previousBlock.indexOf("\n\n## Results"),
);
const generated = [
  GENERATED_START,
  "## Machine",
  "",
  only !== undefined && previousBlock.includes("## Machine") ? previousMachine : machineDescription(),
  "",
  "## Results",
  "",
  collect(previousBlock),
  GENERATED_END,
].join("\n");
const page =
  start >= 0 && end > start
    ? previous.slice(0, start) + generated + previous.slice(end + GENERATED_END.length)
    : `# Benchmarks\n\nGenerated by \`pnpm bench\`.\n\n${generated}\n`;
const temp = `${output}.${process.pid}.tmp`;
writeFileSync(temp, page);
renameSync(temp, output);
console.log(`wrote ${path.relative(root, output)}`);
