import { type ChildProcess, spawn } from "node:child_process";
import { dirname, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

// Test-only: hdpo-learner as a user starts it, a child process, run from source with tsx (no build needed).

const PACKAGE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const READY = "hdpo-learner listening on ";

export interface SpawnedLearner {
  child: ChildProcess;
  url: string;
  /** Resolves with the exit code once the process ended. */
  exited: Promise<number | null>;
  /** SIGTERM, then waits for the exit (nothing when it already ended). */
  stop(): Promise<void>;
}

/**
 * Starts `hdpo-learner --checkpoint <checkpoint> --state-dir <stateDir> --port 0 --backend cpu` plus `args` and
 * resolves with the URL of its one ready line; rejects with its stderr when it exits first.
 */
export async function spawnLearner(
  checkpoint: string,
  stateDir: string,
  args: readonly string[] = [],
): Promise<SpawnedLearner> {
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      "src/bin/hdpo-learner.ts",
      "--checkpoint",
      checkpoint,
      "--state-dir",
      stateDir,
    ].concat(["--port", "0", "--backend", "cpu", ...args]),
    { cwd: PACKAGE_DIR, env: { PATH: process.env.PATH }, stdio: ["ignore", "pipe", "pipe"] },
  );
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
  });
  const exited = new Promise<number | null>((done) => child.once("exit", (code) => done(code)));
  const stop = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  try {
    const url = await new Promise<string>((resolveUrl, reject) => {
      createInterface({ input: child.stdout! }).once("line", (line) => {
        const end = line.indexOf(" ", READY.length);
        if (line.startsWith(`${READY}http://`) && end > READY.length)
          resolveUrl(line.slice(READY.length, end));
        else reject(new Error(`hdpo-learner: unexpected first line: ${line}`));
      });
      void exited.then((code) =>
        reject(new Error(`hdpo-learner exited ${code} before it was ready: ${stderr}`)),
      );
    });
    return { child, url, exited, stop: () => stop("SIGTERM") };
  } catch (error) {
    // A server that never became ready must not outlive the test.
    await stop("SIGKILL");
    throw error;
  }
}
