import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "tsup";

const PACKAGE_DIR = fileURLToPath(new URL("../..", import.meta.url));

/**
 * Builds the real `hdpo-eval` bin (no types) into the package's node_modules cache, so a test can spawn it the way a
 * user runs it; inside the package so its dependencies resolve as from dist/. Returns the script path.
 */
export async function buildCli(): Promise<string> {
  const outDir = join(PACKAGE_DIR, "node_modules", ".cache", "hdpo-eval-test-bin");
  await build({
    entry: { "hdpo-eval": join(PACKAGE_DIR, "src/bin/hdpo-eval.ts") },
    outDir,
    format: ["esm"],
    target: "node20",
    platform: "node",
    dts: false,
    sourcemap: false,
    clean: true,
    silent: true,
    config: false,
  });
  return join(outDir, "hdpo-eval.js");
}
