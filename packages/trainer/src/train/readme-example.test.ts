import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import type { RunSummary } from "./run-summary";

const PACKAGE_DIR = fileURLToPath(new URL("../..", import.meta.url));
const ENTRY = fileURLToPath(new URL("../index.ts", import.meta.url));
const TINY = fileURLToPath(new URL("./tiny-config.ts", import.meta.url));

/** The README's first TypeScript block. */
async function readmeExample(): Promise<string> {
  const readme = await readFile(join(PACKAGE_DIR, "README.md"), "utf8");
  const start = readme.indexOf("```ts\n");
  const end = readme.indexOf("\n```", start + 6);
  expect(start >= 0 && end > start, "README.md has a ```ts block").toBe(true);
  return readme.slice(start + 6, end);
}

describe("the README's example", () => {
  it("runs the main job through train() as written (on the tiny config instead of quick) and prints its table", async () => {
    const code = await readmeExample();
    // The same code on a run of seconds: only the preset and the folder differ from what a user runs.
    expect(code).toContain("parseRunConfig(PRESETS.quick)");
    const dir = await mkdtemp(join(PACKAGE_DIR, ".readme-example-"));
    try {
      const out = join(dir, "run");
      const file = join(dir, "example.ts");
      await writeFile(
        file,
        `import { TINY_CONFIG } from ${JSON.stringify(TINY)};\n` +
          code
            .replaceAll('from "@hdpo/trainer"', `from ${JSON.stringify(ENTRY)}`)
            .replace("parseRunConfig(PRESETS.quick)", "parseRunConfig(TINY_CONFIG)")
            .replace('"runs/quick-from-code"', JSON.stringify(out)),
      );
      const { stdout, stderr } = await promisify(execFile)(process.execPath, ["--import", "tsx", file], {
        cwd: dir,
        timeout: 240_000,
      });
      const summary = JSON.parse(await readFile(join(out, "summary.json"), "utf8")) as RunSummary;
      const rate = (value: number | null) => (value === null ? "-" : `${(value * 100).toFixed(1)}%`);
      expect(stdout.trim().split("\n")).toEqual([
        `accuracy: ${rate(summary.sft.accuracy)} -> ${rate(summary.hdpo.accuracy)}`,
        `tool use when unnecessary: ${rate(summary.sft.toolRateUnnecessary)} -> ${rate(summary.hdpo.toolRateUnnecessary)}`,
        `final policy: ${join(out, "final")}`,
      ]);
      expect(stderr).toContain("HDPO step 4/4: accuracy");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
