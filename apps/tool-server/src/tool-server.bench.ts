import { execFile } from "node:child_process";
import { availableParallelism } from "node:os";
import { findPython } from "@hdpo/tools";
import { afterAll, beforeAll, bench, describe } from "vitest";
import { startToolServerFixture, type ToolServerFixture, toolCall } from "./test-support/tool-server-fixture";

// Everything goes through HTTP (POST /get_observation on 127.0.0.1) into the real sandboxed runtime. The naive
// baseline is what a tool server without persistent sessions does: a fresh `python3 -c` per call, running the same
// init (the reference's imports) before the code.
const CONCURRENT = 64;
const NAIVE_CALLS = 16;
const NAIVE_INIT =
  "import os, base64, io, math\nfrom io import BytesIO\nfrom PIL import Image\nimport numpy as np\n" +
  "import matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt\nfrom math import sin, cos\n";

let fixture: ToolServerFixture;
let pythonPath: string;
let taskImage: string;
let sessionCounter = 0;

const trivial = toolCall("python", { code: "x = 1" });
const crop = toolCall("python", { code: "image_1.crop((64, 64, 320, 320))" });

async function call(id: string, action: string, extra: Record<string, unknown> = {}): Promise<void> {
  const reply = await fixture.act(id, action, extra);
  if (reply.status !== 200 || !reply.valid) throw new Error(`bench call failed: ${JSON.stringify(reply)}`);
}

function naive(code: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(pythonPath, ["-c", NAIVE_INIT + code], { timeout: 60_000 }, (error) =>
      error ? reject(error) : resolve(),
    );
  });
}

beforeAll(async () => {
  pythonPath = (await findPython()).path;
  fixture = await startToolServerFixture({ runtime: { maxSessions: CONCURRENT + 16, workers: 2 } });
  const base64 = await new Promise<string>((resolve, reject) =>
    execFile(
      pythonPath,
      [
        "-c",
        "import io,base64\nfrom PIL import Image\nb=io.BytesIO()\nImage.new('RGB',(640,480),(20,90,160)).save(b,'JPEG')\nprint(base64.b64encode(b.getvalue()).decode())",
      ],
      (error, stdout) => (error ? reject(error) : resolve(stdout.trim())),
    ),
  );
  taskImage = `data:image/jpeg;base64,${base64}`;
  await call("warm", trivial);
  await call("crop", crop, { images: [taskImage] });
  await Promise.all(Array.from({ length: CONCURRENT }, (_, i) => call(`many-${i}`, trivial)));
}, 300_000);
afterAll(async () => {
  await fixture?.close();
});

describe("python call latency through HTTP (warm session)", () => {
  bench("trivial statement (x = 1)", () => call("warm", trivial), { time: 3000, warmupIterations: 20 });
  bench(
    "image crop of a 640x480 task image, returned as an image",
    () => call("crop", crop, { images: [taskImage] }),
    {
      time: 3000,
      warmupIterations: 5,
    },
  );
});

describe("session start latency through HTTP (new trajectory: start, first call, finish)", () => {
  bench(
    "new trajectory + x = 1 + finish",
    async () => {
      const id = `start-${sessionCounter++}`;
      await call(id, trivial);
      await fixture.finish(id);
    },
    { time: 5000, warmupIterations: 3 },
  );
});

describe(`throughput: ${CONCURRENT} concurrent trajectories, one trivial call each (calls/s = ${CONCURRENT} × ops/s; naive: ${NAIVE_CALLS} × ops/s)`, () => {
  bench(
    `tool server: ${CONCURRENT} warm trajectories`,
    async () => {
      await Promise.all(Array.from({ length: CONCURRENT }, (_, i) => call(`many-${i}`, trivial)));
    },
    { time: 5000, warmupIterations: 2 },
  );
  // The naive side runs NAIVE_CALLS fresh processes, as many at once as there are CPUs (more only queue for the
  // CPU and heat a shared machine): calls/s = NAIVE_CALLS × ops/s.
  bench(
    `naive: ${NAIVE_CALLS} fresh python3 -c processes with the same init, ${availableParallelism()} at a time`,
    async () => {
      let next = 0;
      const lane = async () => {
        while (next < NAIVE_CALLS) {
          next++;
          await naive("x = 1");
        }
      };
      await Promise.all(Array.from({ length: availableParallelism() }, lane));
    },
    { iterations: 2, time: 0, warmupIterations: 0 },
  );
});

describe("naive single call (fresh python3 -c with the same init)", () => {
  bench("naive trivial call", () => naive("x = 1"), { iterations: 10, time: 0, warmupIterations: 1 });
});
