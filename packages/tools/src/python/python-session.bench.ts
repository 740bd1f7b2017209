import { execFile } from "node:child_process";
import { afterAll, beforeAll, bench, describe } from "vitest";
import { createPythonLauncher, type PythonLauncher } from "./python-launcher";
import type { PythonSession } from "./python-session";
import { jpegDataUri, testInterpreter } from "./python-test-support";

// Targets (issue 3): warm trivial call ≤ 5 ms median; ≥ 10× the naive approach's throughput.

/** The reference's init, eagerly, as a naive tool would run it before every call. */
const NAIVE_INIT = [
  "import os",
  "import base64",
  "from PIL import Image",
  "from io import BytesIO",
  "import matplotlib",
  "matplotlib.use('Agg')",
  "import matplotlib.pyplot as plt",
  "import math",
  "import numpy as np",
  "from math import sin, cos",
].join("\n");

const image = jpegDataUri(640, 480);
let launcher: PythonLauncher;
let coldLauncher: PythonLauncher;
let warm: PythonSession;
let crop: PythonSession;
let concurrent: PythonSession[] = [];
const toClose: PythonSession[] = [];
let python = "/usr/bin/python3";

beforeAll(async () => {
  const interpreter = await testInterpreter();
  python = interpreter.path;
  launcher = await createPythonLauncher({ interpreter, prewarm: 8 });
  coldLauncher = await createPythonLauncher({ interpreter, sandbox: launcher.sandbox, prewarm: 0 });
  warm = await launcher.start("bench-warm", []);
  crop = await launcher.start("bench-crop", [image]);
  await crop.run("image_1.load()");
  concurrent = [];
  for (let i = 0; i < 64; i++) concurrent.push(await coldLauncher.start(`bench-c${i}`, []));
}, 600_000);

afterAll(async () => {
  await Promise.all(toClose.map((session) => session.close()));
  await Promise.all([launcher?.close(), coldLauncher?.close()]);
});

function naiveCall(code: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      python,
      ["-c", `${NAIVE_INIT}\n${code}`],
      { env: { PATH: "/usr/bin:/bin", MPLBACKEND: "Agg", OPENBLAS_NUM_THREADS: "1" } },
      (error) => (error ? reject(error) : resolve()),
    );
  });
}

describe("python tool: warm calls", () => {
  bench("warm session: trivial call (x = 1)", async () => {
    await warm.run("x = 1");
  });

  bench("warm session: image crop + zoom returned as an image", async () => {
    await crop.run("image_1.crop((100, 50, 300, 200)).resize((400, 300))");
  });

  bench(
    "naive: fresh `python3 -c` with the same init per call (x = 1)",
    async () => {
      await naiveCall("x = 1");
    },
    { iterations: 5, time: 0, warmupIterations: 1, warmupTime: 0 },
  );
});

describe("python tool: session start", () => {
  bench(
    "session start from the prewarmed pool (bind only)",
    async () => {
      toClose.push(await launcher.start(`bench-start-${toClose.length}`, [image]));
    },
    { iterations: 6, time: 0, warmupIterations: 0, warmupTime: 0 },
  );

  bench(
    "session start without prewarm (spawn sandbox + init + bind)",
    async () => {
      toClose.push(await coldLauncher.start(`bench-cold-${toClose.length}`, [image]));
    },
    { iterations: 6, time: 0, warmupIterations: 1, warmupTime: 0 },
  );
});

describe("python tool: 64 concurrent trajectories", () => {
  bench(
    "64 live sessions, one trivial call each, all at once (64 calls)",
    async () => {
      await Promise.all(concurrent.map((session) => session.run("y = 2")));
    },
    { iterations: 20, time: 0, warmupIterations: 2, warmupTime: 0 },
  );
});
