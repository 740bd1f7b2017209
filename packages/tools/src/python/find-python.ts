import { execFile } from "node:child_process";
import { PythonUnavailableError } from "./python-error";

/** A Python 3 interpreter and what the python tool needs from it. */
export interface PythonInterpreter {
  path: string;
  version: string;
  modules: { PIL: boolean; numpy: boolean; matplotlib: boolean };
  /** sys.prefix / sys.base_prefix: mounted read-only into the sandbox when outside /usr. */
  prefixes: string[];
}

const PROBE = `import json, sys
mods = {}
for name in ("PIL", "numpy", "matplotlib"):
    try:
        __import__(name)
        mods[name] = True
    except Exception:
        mods[name] = False
print(json.dumps({"executable": sys.executable, "version": sys.version.split()[0], "major": sys.version_info[0], "modules": mods,
                  "prefixes": sorted({sys.prefix, sys.base_prefix})}))`;

/** The fix named by every PythonUnavailableError. */
export const PYTHON_INSTALL_HINT =
  "install the Debian packages (apt-get install -y python3-pil python3-numpy python3-matplotlib) " +
  "or point HDPO_PYTHON (or --python) at a Python 3 that has Pillow and numpy";

type Probe = { ok: true; interpreter: PythonInterpreter } | { ok: false; reason: string };

function probe(path: string): Promise<Probe> {
  return new Promise((resolve) => {
    execFile(path, ["-I", "-B", "-c", PROBE], { timeout: 30_000, encoding: "utf8" }, (error, stdout) => {
      if (error) {
        resolve({ ok: false, reason: `cannot run (${error.message.split("\n")[0]})` });
        return;
      }
      try {
        const info = JSON.parse(stdout.trim()) as {
          executable: string;
          version: string;
          major: number;
          modules: PythonInterpreter["modules"];
          prefixes: string[];
        };
        if (info.major !== 3) {
          resolve({ ok: false, reason: `is Python ${info.version}, not Python 3` });
          return;
        }
        const missing = (["PIL", "numpy"] as const).filter((name) => !info.modules[name]);
        if (missing.length > 0) {
          resolve({ ok: false, reason: `Python ${info.version} lacks ${missing.join(" and ")}` });
          return;
        }
        resolve({
          ok: true,
          interpreter: {
            path: info.executable || path,
            version: info.version,
            modules: info.modules,
            prefixes: info.prefixes,
          },
        });
      } catch {
        resolve({ ok: false, reason: "printed something that is not the probe's JSON" });
      }
    });
  });
}

/**
 * The first interpreter with PIL and numpy among: `options.python`, `HDPO_PYTHON`, `python3` on PATH,
 * /usr/bin/python3, /usr/local/bin/python3. Throws PythonUnavailableError naming each candidate and what it lacks.
 */
export async function findPython(
  options: { python?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<PythonInterpreter> {
  const env = options.env ?? process.env;
  const candidates = [
    options.python,
    env.HDPO_PYTHON,
    "python3",
    "/usr/bin/python3",
    "/usr/local/bin/python3",
  ]
    .filter((candidate): candidate is string => typeof candidate === "string" && candidate.length > 0)
    .filter((candidate, index, all) => all.indexOf(candidate) === index);
  const failures: string[] = [];
  for (const candidate of candidates) {
    const result = await probe(candidate);
    if (result.ok) return result.interpreter;
    failures.push(`${candidate}: ${result.reason}`);
    // An explicit choice that does not work is an error, not a reason to silently use another Python.
    if (candidate === options.python || candidate === env.HDPO_PYTHON) break;
  }
  throw new PythonUnavailableError(
    `No usable Python for the python tool (it needs Python 3 with Pillow and numpy). Tried: ${failures.join("; ")}. Fix: ${PYTHON_INSTALL_HINT}.`,
  );
}
