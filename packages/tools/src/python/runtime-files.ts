import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, lstat, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { PythonInterpreter } from "./find-python";
import { PythonStartError } from "./python-error";

/** Where the driver and the prebuilt matplotlib font cache live, readable by the sandbox uids. */
export interface RuntimeFiles {
  dir: string;
  driver: string;
  /** A prebuilt matplotlib config/cache dir (fontlist json) the driver copies into its tmpfs, if matplotlib exists. */
  mplCache?: string;
}

/** packages/tools/python/driver.py, found from this module both in src/ (tests) and in dist/ (built). */
export function locateDriver(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, "python", "driver.py");
    if (existsSync(candidate)) return candidate;
    dir = resolve(dir, "..");
  }
  throw new PythonStartError(
    "python/driver.py was not found next to @hdpo/tools; reinstall the package (its files list includes python/**).",
  );
}

/**
 * A private, root-owned-or-ours dir under the OS temp dir (the repository checkout may not be readable by the
 * sandbox uids). Refuses a dir someone else owns or can write, so nobody can plant a driver there.
 */
async function privateRuntimeDir(): Promise<string> {
  const uid = typeof process.getuid === "function" ? process.getuid() : 0;
  const dir = join(tmpdir(), `hdpo-python-runtime-${uid}`);
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const info = await lstat(dir);
  if (!info.isDirectory() || info.uid !== uid || (info.mode & 0o022) !== 0) {
    throw new PythonStartError(
      `${dir} exists but is not a directory owned by uid ${uid} and writable only by it; remove it and retry.`,
    );
  }
  return dir;
}

function buildFontCache(interpreter: PythonInterpreter, dir: string): Promise<void> {
  const script =
    "import matplotlib; matplotlib.use('Agg'); import matplotlib.font_manager as fm; fm.fontManager.findfont('DejaVu Sans')";
  return new Promise((resolvePromise, reject) => {
    execFile(
      interpreter.path,
      ["-I", "-B", "-c", script],
      { timeout: 120_000, env: { PATH: "/usr/bin:/bin", MPLCONFIGDIR: dir, MPLBACKEND: "Agg", HOME: dir } },
      (error) => (error ? reject(error) : resolvePromise()),
    );
  });
}

const prepared = new Map<string, Promise<RuntimeFiles>>();

/** Copies the driver and builds the font cache once per interpreter and driver version. */
export function prepareRuntimeFiles(interpreter: PythonInterpreter): Promise<RuntimeFiles> {
  let files = prepared.get(interpreter.path);
  if (!files) {
    files = prepare(interpreter);
    prepared.set(interpreter.path, files);
    files.catch(() => prepared.delete(interpreter.path));
  }
  return files;
}

async function prepare(interpreter: PythonInterpreter): Promise<RuntimeFiles> {
  const source = await readFile(locateDriver());
  const hash = createHash("sha256").update(source).update(interpreter.path).digest("hex").slice(0, 16);
  const dir = join(await privateRuntimeDir(), hash);
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const driver = join(dir, "driver.py");
  const staging = `${driver}.${process.pid}.tmp`;
  await writeFile(staging, source, { mode: 0o644 });
  await rename(staging, driver);
  if (!interpreter.modules.matplotlib) return { dir, driver };
  const mplCache = join(dir, `mpl-${interpreter.version}`);
  if (!existsSync(mplCache)) {
    const building = `${mplCache}.${process.pid}.tmp`;
    await rm(building, { recursive: true, force: true });
    await mkdir(building, { recursive: true, mode: 0o755 });
    try {
      await buildFontCache(interpreter, building);
      await chmod(building, 0o755);
      await rename(building, mplCache).catch(async () => rm(building, { recursive: true, force: true }));
    } catch {
      // Without a prebuilt cache matplotlib builds one on first use inside the sandbox: slower, not wrong.
      await rm(building, { recursive: true, force: true });
      return { dir, driver };
    }
  }
  return { dir, driver, mplCache };
}
