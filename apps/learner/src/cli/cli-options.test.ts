import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseCliOptions } from "./cli-options";
import { main } from "./main";

async function run(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const result = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { ...result, out, err };
}

describe("hdpo-learner's command line", () => {
  it("reads the flags, with the state directory beside the checkpoint by default", () => {
    const options = parseCliOptions(["--checkpoint", "/data/ckpt/", "--port", "0", "--temperature", "0.7"]);
    expect(options).toMatchObject({
      host: "127.0.0.1",
      port: 0,
      checkpoint: "/data/ckpt",
      stateDir: "/data/ckpt.learner-state",
      baseModelName: "ckpt",
      temperature: 0.7,
      maxModels: 32,
      sessionTimeoutMs: 300_000,
      retrieveTimeoutMs: 300_000,
    });
    expect(
      parseCliOptions(["--checkpoint", "c", "--session-timeout-sec=-1"]).sessionTimeoutMs,
    ).toBeUndefined();
  });

  it("serves a preset's starting policy from inside its state directory", () => {
    expect(parseCliOptions(["--preset", "default", "--state-dir", "/srv/state"])).toMatchObject({
      preset: "default",
      checkpoint: "/srv/state/base-default",
      stateDir: "/srv/state",
      baseModelName: "hdpo-default",
    });
  });

  it("answers a bad flag with one line and exit code 2, never a stack trace", async () => {
    for (const [argv, message] of [
      [["--checkpoint", "c", "--port", "http"], '--port must be an integer in [0, 65535], got "http"'],
      [["--checkpoint", "c", "--temperature", "0"], "--temperature must be a number > 0"],
      [["--checkpoint", "c", "--backend", "tpu"], "--backend must be one of"],
      [["--checkpoint", "c", "--bogus"], "Unknown option '--bogus'"],
      [[], "--checkpoint DIR is required"],
      [["--preset", "huge"], '--preset must be one of quick, default, got "huge"'],
      [["--preset", "quick", "--checkpoint", "c"], "pass --checkpoint DIR or --preset NAME, not both"],
    ] as const) {
      const result = await run([...argv]);
      expect(result.exitCode, argv.join(" ")).toBe(2);
      expect(result.err, argv.join(" ")).toEqual([expect.stringContaining(message)]);
      expect(result.err[0]).toMatch(/^hdpo-learner: /);
      expect(result.err[0]).not.toContain("\n");
    }
  });

  it("answers a checkpoint that is not there with one line and exit code 1; --help prints the usage", async () => {
    const root = await mkdtemp(join(tmpdir(), "hdpo-learner-cli-"));
    try {
      const result = await run(["--checkpoint", join(root, "missing"), "--backend", "cpu"]);
      expect(result.exitCode).toBe(1);
      expect(result.err).toEqual([expect.stringContaining("is not a directory")]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
    const help = await run(["--help"]);
    expect(help.exitCode).toBe(0);
    expect(help.out[0]).toContain("Usage: hdpo-learner --checkpoint DIR");
  });
});
