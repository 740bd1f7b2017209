import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const PACKAGE_DIR = fileURLToPath(new URL("..", import.meta.url));
const ENTRY = fileURLToPath(new URL("./index.ts", import.meta.url));

/** The README's first TypeScript block and the lines its trailing comments say it prints. */
async function readmeExample(): Promise<{ code: string; printed: string[] }> {
  const readme = await readFile(join(PACKAGE_DIR, "README.md"), "utf8");
  const start = readme.indexOf("```ts\n");
  const end = readme.indexOf("\n```", start + 6);
  expect(start >= 0 && end > start, "README.md has a ```ts block").toBe(true);
  const code = readme.slice(start + 6, end);
  const lines = code.split("\n");
  const printed: string[] = [];
  while (lines.at(-1)?.startsWith("// ") === true) printed.unshift(lines.pop()!.slice(3));
  return { code, printed };
}

describe("the README's example", () => {
  it("runs as written and prints what its comments say", async () => {
    const { code, printed } = await readmeExample();
    expect(printed.length).toBeGreaterThan(0);
    // Inside the package so that its imports resolve as a user's would; the package itself from source, so the
    // test needs no build of it.
    const dir = await mkdtemp(join(PACKAGE_DIR, ".readme-example-"));
    try {
      const file = join(dir, "example.ts");
      await writeFile(file, code.replaceAll('from "@hdpo/evaluation"', `from ${JSON.stringify(ENTRY)}`));
      const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", file], {
        cwd: dir,
        timeout: 60_000,
      });
      expect(stdout.trim().split("\n")).toEqual(printed);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
