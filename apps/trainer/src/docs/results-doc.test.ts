import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

// docs/results.md publishes the quick job through the Tinker client over HTTP; its numbers must be the committed
// artifact's, and that artifact must equal the in-process run's evaluations.

const ROOT = join(import.meta.dirname, "..", "..", "..", "..");
const ARTIFACTS = join(ROOT, "docs", "results", "learner-seam");

async function json(name: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(join(ARTIFACTS, name), "utf8"));
}

/** `<!-- http:PATH -->TEXT<!-- /http -->` markers of the page: PATH → TEXT. */
function markers(page: string): Map<string, string> {
  const found = new Map<string, string>();
  const open = "<!-- http:";
  for (let at = page.indexOf(open); at !== -1; at = page.indexOf(open, at + 1)) {
    const pathEnd = page.indexOf(" -->", at);
    const close = page.indexOf("<!-- /http -->", pathEnd);
    found.set(page.slice(at + open.length, pathEnd), page.slice(pathEnd + 4, close));
  }
  return found;
}

function at(value: unknown, path: string): unknown {
  return path.split(".").reduce((node, key) => (node as Record<string, unknown>)[key], value);
}

describe("docs/results.md, the quick job over HTTP", () => {
  it("shows the artifact's numbers", async () => {
    const page = await readFile(join(ROOT, "docs", "results.md"), "utf8");
    const summary = await json("quick-seed0-http.summary.json");
    const shown = markers(page);
    expect(shown.size).toBe(4);
    for (const [path, text] of shown) {
      const value = at(summary, path) as number;
      const expected = path === "wallTimeS" ? `${Math.round(value)} s` : `${(value * 100).toFixed(1)} %`;
      expect(text, path).toBe(expected);
    }
  });

  it("rests on an artifact whose evaluations equal the in-process run's", async () => {
    const http = await json("quick-seed0-http.summary.json");
    const local = await json("quick-seed0-learner.summary.json");
    expect(http.learner).toMatchObject({ kind: "tinker", protocol: "skyrl@a9564572e" });
    const strip = (result: unknown) => {
      const { wallMs: _wallMs, ...rest } = result as Record<string, unknown>;
      return rest;
    };
    expect(strip(http.sft)).toEqual(strip(local.sft));
    expect(strip(http.hdpo)).toEqual(strip(local.hdpo));
  });
});
