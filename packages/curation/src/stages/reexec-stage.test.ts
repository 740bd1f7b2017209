import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCuration } from "../pipeline/run-curation";
import { tinyPngDataUri } from "../testing/tiny-png";
import { pythonTrajectoryRow } from "../testing/trajectory-fixture";
import { createReexecStage } from "./reexec-stage";

/** The sandbox's observation text for a call that printed `stdout` (formatPythonObservation's layout). */
const printed = (stdout: string) =>
  `Code execution result:\nstdout:\n\`\`\`\n${stdout}\n\`\`\`\n\nstderr:\n\`\`\`\n\n\`\`\``;
const task = {
  id: "t",
  question: "What is 6*7 and the image size?",
  answer: "42",
  images: [tinyPngDataUri(40, 24)],
};

describe("reexec stage (real sandbox)", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "curate-reexec-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("keeps faithful trajectories and drops tampered and failing ones, re-running calls in one session", async () => {
    const rows = [
      // Faithful: state carries over between calls (one session), the task image is image_1, floats within tolerance.
      pythonTrajectoryRow({
        id: "faithful",
        task,
        calls: [
          { code: "x = 6 * 7\nprint(x)", observation: printed("42\n") },
          { code: "print(x + 0.1 + 0.2 - 42)", observation: `  ${printed("0.3\n")}  ` },
          { code: "print(image_1.size)", observation: printed("(40, 24)\n") },
        ],
        answer: "42",
      }),
      pythonTrajectoryRow({
        id: "tampered",
        task,
        calls: [
          { code: "x = 6 * 7\nprint(x)", observation: printed("42\n") },
          { code: "print(x * 2)", observation: printed("85\n") },
        ],
        answer: "85",
      }),
      pythonTrajectoryRow({
        id: "failing",
        task,
        calls: [{ code: "print(undefined_name)", observation: printed("7\n") }],
        answer: "7",
      }),
      pythonTrajectoryRow({
        id: "image-mismatch",
        task,
        calls: [
          {
            code: "from PIL import Image\nImage.new('RGB', (64, 32))",
            observation: `${printed("")}\n\nImages:`,
            images: [tinyPngDataUri(32, 32)],
          },
        ],
        answer: "done",
      }),
    ];
    const input = join(dir, "in.jsonl");
    await writeFile(input, `${rows.map((row) => JSON.stringify(row)).join("\n")}\n`);
    const output = join(dir, "out.jsonl");
    const result = await runCuration({ input, output, stages: [createReexecStage({ concurrency: 2 })] });
    expect(result.completed).toBe(true);
    const kept = (await readFile(output, "utf8"))
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(kept.map((row) => row.id)).toEqual(["faithful"]);
    expect(kept[0].task.extraInfo).toEqual({ reexecCalls: 3 });
    const rejected = (await readFile(result.rejected, "utf8"))
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    const byId = Object.fromEntries(rejected.map((row) => [row.id, row]));
    expect(byId.tampered).toMatchObject({
      stage: "reexec",
      reason: "observation-mismatch",
      decision: "reject",
    });
    expect(byId.tampered.detail).toContain("84");
    expect(byId.failing).toMatchObject({ stage: "reexec", reason: "call-failed" });
    expect(byId.failing.detail).toContain("NameError");
    expect(byId["image-mismatch"]).toMatchObject({ reason: "observation-mismatch" });
    expect(byId["image-mismatch"].detail).toMatch(/recorded 32x32, fresh 96x64/);
  });
});
