#!/usr/bin/env node
// Makes sure the system packages the tests and the main job need are present, before anything runs:
//   - a Python 3 with Pillow and numpy (matplotlib optional) for the sandboxed Python tool,
//   - bubblewrap, the sandbox's isolation layer,
//   - Chromium, which renders the evaluator's HTML report in its test (only with --browser).
// On a Debian machine where we are root and may install (CI, a fresh machine of the README's kind), missing
// packages are installed with apt-get. Anywhere else it stops with the exact command to run. It never installs
// silently: every install is announced, and HDPO_NO_SYSTEM_INSTALL=1 turns installing off.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

const wantBrowser = process.argv.includes("--browser");

function run(command, args) {
  const result = spawnSync(command, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  return result.status === 0;
}

function pythonCandidates() {
  const list = [process.env.HDPO_PYTHON, "python3", "/usr/bin/python3", "/usr/local/bin/python3"];
  return [...new Set(list.filter(Boolean))];
}

function hasPythonWithImaging() {
  return pythonCandidates().some((python) => run(python, ["-c", "import PIL, numpy"]));
}

function hasBubblewrap() {
  return run("bwrap", ["--version"]);
}

function hasChromium() {
  return ["/usr/bin/chromium", "/usr/bin/chromium-browser"].some((path) => existsSync(path));
}

const missing = [];
if (!hasPythonWithImaging())
  missing.push({
    what: "Python 3 with Pillow and numpy",
    debian: ["python3", "python3-pil", "python3-numpy", "python3-matplotlib"],
  });
if (!hasBubblewrap()) missing.push({ what: "bubblewrap (the Python sandbox)", debian: ["bubblewrap"] });
if (wantBrowser && !hasChromium())
  missing.push({ what: "Chromium (the evaluator's report test)", debian: ["chromium"] });

if (missing.length === 0) process.exit(0);

const packages = missing.flatMap((m) => m.debian);
const command = `apt-get update && apt-get install -y --no-install-recommends ${packages.join(" ")}`;
const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
const canInstall = isRoot && run("apt-get", ["--version"]) && process.env.HDPO_NO_SYSTEM_INSTALL !== "1";

for (const m of missing) console.error(`hdpo: missing ${m.what}.`);
if (!canInstall) {
  console.error(
    `hdpo: install the system packages first (Debian/Ubuntu, as root):\n  ${command}\n` +
      "or point HDPO_PYTHON at a Python 3 that has Pillow and numpy.",
  );
  process.exit(1);
}

console.error(`hdpo: installing with apt-get: ${packages.join(" ")}`);
const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
try {
  execFileSync("apt-get", ["update", "-qq"], { stdio: ["ignore", "ignore", "inherit"], env });
  execFileSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...packages], {
    stdio: ["ignore", "ignore", "inherit"],
    env,
  });
} catch (error) {
  console.error(`hdpo: apt-get failed (${error.message}). Run by hand:\n  ${command}`);
  process.exit(1);
}
if (!hasPythonWithImaging() || !hasBubblewrap() || (wantBrowser && !hasChromium())) {
  console.error(`hdpo: the packages were installed but are still not usable; check:\n  ${command}`);
  process.exit(1);
}
console.error("hdpo: system packages ready.");
