import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createToolRuntime, type ToolRuntime } from "@hdpo/tools";
import { afterAll, beforeAll, bench, describe } from "vitest";
import { runCuration } from "./pipeline/run-curation";
import { createHygieneStage } from "./stages/hygiene-stage";
import { createReexecStage } from "./stages/reexec-stage";
import { tinyPngDataUri } from "./testing/tiny-png";
import { pythonTrajectoryRow } from "./testing/trajectory-fixture";

// rows/s = hz × rows per iteration (the names say how many rows one iteration curates).
const HYGIENE_ROWS = 5_000;
const REEXEC_ROWS = 8;
const printed = (stdout: string) =>
  `Code execution result:\nstdout:\n\`\`\`\n${stdout}\n\`\`\`\n\nstderr:\n\`\`\`\n\n\`\`\``;

let dir: string;
let hygieneInput: string;
let reexecInput: string;
let runtime: ToolRuntime;
let run = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "curate-bench-"));
  hygieneInput = join(dir, "hygiene.jsonl");
  const image = tinyPngDataUri(16, 16);
  const lines = Array.from({ length: HYGIENE_ROWS }, (_, i) =>
    JSON.stringify({
      id: `h${i}`,
      question: `Question ${i % 4500}: how many red squares are in the picture after ${i % 4500} more are added?`,
      answer: String(i % 4500),
      ...(i % 10 === 0 ? { images: [image] } : {}),
    }),
  );
  await writeFile(hygieneInput, `${lines.join("\n")}\n`);
  reexecInput = join(dir, "reexec.jsonl");
  const task = { id: "t", question: "Compute", answer: "42" };
  const rows = Array.from({ length: REEXEC_ROWS }, (_, i) =>
    pythonTrajectoryRow({
      id: `r${i}`,
      task,
      calls: [
        { code: `x = ${i} * 7\nprint(x)`, observation: printed(`${i * 7}\n`) },
        {
          code: "import math\nprint(round(math.sqrt(x + 1), 6))",
          observation: printed(`${Math.round(Math.sqrt(i * 7 + 1) * 1e6) / 1e6}\n`),
        },
        { code: "print(sum(range(x)))", observation: printed(`${(i * 7 * (i * 7 - 1)) / 2}\n`) },
      ],
      answer: "42",
    }),
  );
  await writeFile(reexecInput, `${rows.map((row) => JSON.stringify(row)).join("\n")}\n`);
  runtime = await createToolRuntime({ workers: 2, maxSessions: 4 });
});

afterAll(async () => {
  await runtime?.shutdown();
  await rm(dir, { recursive: true, force: true });
});

describe("curation stages", () => {
  bench(
    `hygiene: ${HYGIENE_ROWS} rows per iteration (10% with an image, 10% duplicates), journal and outputs included`,
    async () => {
      const out = join(dir, `h${run++}`, "out.jsonl");
      await runCuration({ input: hygieneInput, output: out, stages: [createHygieneStage()] });
    },
    { iterations: 5, warmupIterations: 1 },
  );

  bench(
    `reexec: ${REEXEC_ROWS} trajectories × 3 python calls per iteration (fresh sandbox session each, 2 at once)`,
    async () => {
      const out = join(dir, `r${run++}`, "out.jsonl");
      const result = await runCuration({
        input: reexecInput,
        output: out,
        stages: [createReexecStage({ runtime, concurrency: 2 })],
      });
      if (result.stats?.kept !== REEXEC_ROWS)
        throw new Error(`reexec kept ${result.stats?.kept}, expected ${REEXEC_ROWS}`);
    },
    { iterations: 5, warmupIterations: 1 },
  );
});
