import type { ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { TfjsLearner } from "@hdpo/learner";
import { loadPolicy } from "@hdpo/policy";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adam, learnerDatum, tinkerDatum } from "../test-support/datums";
import { BASE_NAME } from "../test-support/learner-fixture";
import { type SpawnedLearner, spawnLearner } from "../test-support/spawned-learner";
import { TinkerTestClient } from "../test-support/tinker-test-client";
import { type TinyCheckpoint, tinyCheckpoint } from "../test-support/tiny-checkpoint";

// The bin as a child process: killed (SIGKILL) mid-run after a save_weights, restarted on the same state directory,
// it knows its sessions, models and checkpoints, restores the model from its save, fails what was lost with a clear
// error, and training continues to exactly where an uninterrupted run ends.

let checkpoint: TinyCheckpoint;
let stateDir: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  checkpoint = await tinyCheckpoint();
  stateDir = join(checkpoint.root, "state");
});

afterAll(async () => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  await checkpoint?.remove();
});

/** Starts the bin from source on the shared checkpoint and state directory. */
async function startBin(): Promise<SpawnedLearner> {
  const started = await spawnLearner(checkpoint.directory, stateDir, ["--base-model-name", BASE_NAME]);
  children.push(started.child);
  return started;
}

describe("hdpo-learner killed and restarted on the same state directory", () => {
  it("resumes from the last save_weights and fails what was lost with a clear error", async () => {
    const sequence = checkpoint.tokenizer.encode(
      "<reason>The tool is not needed here.</reason><answer>42</answer>",
    );
    const fb = { loss_fn: "cross_entropy", data: [tinkerDatum(sequence)] };
    const probe = { loss_fn: "cross_entropy", data: [tinkerDatum(sequence)] };

    const first = await startBin();
    const a = new TinkerTestClient(first.url);
    const { sessionId, modelId } = await a.model(BASE_NAME);
    const untrained = await a.model(BASE_NAME, sessionId);
    const unsaved = await a.model(BASE_NAME, sessionId);
    await a.post("session_heartbeat", { session_id: sessionId });
    const fb1 = await a.post("forward_backward", {
      model_id: modelId,
      seq_id: 1,
      forward_backward_input: fb,
    });
    const step1 = await a.post("optim_step", {
      model_id: modelId,
      seq_id: 2,
      adam_params: adam(0.05).tinker,
    });
    expect((await a.retrieve(step1.body.request_id)).status).toBe(200);
    await a.ok("save_weights", { model_id: modelId, path: "s1" });
    const fb2Body = { model_id: modelId, seq_id: 3, forward_backward_input: fb };
    const step2Body = { model_id: modelId, seq_id: 4, adam_params: adam(0.05).tinker };
    const fb2 = await a.post("forward_backward", fb2Body);
    const step2 = await a.post("optim_step", step2Body);
    expect((await a.retrieve(step2.body.request_id)).status).toBe(200);
    const forwardAfter = await a.post("forward", { model_id: modelId, seq_id: 5, forward_input: probe });
    expect((await a.retrieve(forwardAfter.body.request_id)).status).toBe(200);
    const pushed = await a.ok("save_weights_for_sampler", {
      model_id: modelId,
      sampling_session_seq_id: 0,
      seq_id: 6,
    });
    await a.ok("forward_backward", { model_id: unsaved.modelId, forward_backward_input: fb });
    await a.ok("optim_step", { model_id: unsaved.modelId, adam_params: adam(0.05).tinker });
    // Work that cannot finish before the kill: a pass over 150 datums takes seconds; the kill comes 200 ms after it
    // was accepted.
    const large = {
      loss_fn: "cross_entropy",
      data: Array.from({ length: 150 }, () => tinkerDatum(sequence)),
    };
    const running = await a.post("forward_backward", {
      model_id: modelId,
      seq_id: 7,
      forward_backward_input: large,
    });
    expect(running.status).toBe(200);
    await new Promise((wait) => setTimeout(wait, 200));
    first.child.kill("SIGKILL");
    await first.exited;

    const second = await startBin();
    const b = new TinkerTestClient(second.url);
    try {
      expect((await b.post("session_heartbeat", { session_id: sessionId })).status).toBe(200);
      expect((await b.post("get_info", { model_id: modelId })).body.status).toBe("created");
      expect((await b.get(`training_runs/${modelId}/checkpoints`)).body.checkpoints).toEqual([
        expect.objectContaining({ checkpoint_id: "s1", tinker_path: `tinker://${modelId}/weights/s1` }),
      ]);
      // Before the save: kept. After it: lost with the restore point named. Pending: "send it again".
      expect((await b.retrieve(fb1.body.request_id)).status).toBe(200);
      expect((await b.retrieve(step1.body.request_id)).status).toBe(200);
      for (const lost of [fb2, step2]) {
        const answer = await b.retrieve(lost.body.request_id);
        expect(answer.status).toBe(400);
        expect(answer.body.detail).toContain(`was restored from tinker://${modelId}/weights/s1`);
        expect(answer.body.detail).toContain("Send it again.");
      }
      expect((await b.retrieve(forwardAfter.body.request_id)).status).toBe(200);
      const pending = await b.retrieve(running.body.request_id);
      expect({ status: pending.status, body: pending.body }).toEqual({
        status: 400,
        body: { detail: "The server restarted before this request ran; send it again." },
      });
      const sampled = await b.post("asample", {
        sampling_session_id: pushed.sampling_session_id,
        seq_id: 0,
        prompt: { chunks: [{ tokens: sequence.slice(0, 4) }] },
        sampling_params: { max_tokens: 2 },
      });
      expect(sampled.status).toBe(404);
      expect(sampled.body.detail).toContain("do not survive a restart; push the weights again");
      // The model with no save that had trained is gone, and says so; the untrained one is the base.
      expect((await b.post("get_info", { model_id: unsaved.modelId })).body.status).toBe("unloaded");
      const gone = await b.run("forward", { model_id: unsaved.modelId, forward_input: probe });
      expect(gone.body.detail).toContain("lost its trained weights when the server restarted");

      const ref = await loadPolicy(checkpoint.directory);
      const alone = new TfjsLearner({ model: ref.model, tokenizer: ref.tokenizer });
      const baseLogProbs = (await alone.forward([learnerDatum(sequence)])).logProbs[0];
      const logProbs = async (id: string) =>
        (await b.ok("forward", { model_id: id, forward_input: probe })).loss_fn_outputs[0].logprobs.data;
      expect(await logProbs(untrained.modelId)).toEqual(baseLogProbs);
      await alone.forwardBackward([learnerDatum(sequence)]);
      await alone.optimStep(adam(0.05).learner);
      const afterStep1 = (await alone.forward([learnerDatum(sequence)])).logProbs[0];
      expect(await logProbs(modelId)).toEqual(afterStep1);
      expect(afterStep1).not.toEqual(baseLogProbs);

      // Continue: the lost requests are sent again with their sequence ids, and run.
      const resent = await b.post("forward_backward", fb2Body);
      expect(Number(resent.body.request_id)).toBeGreaterThan(Number(running.body.request_id));
      expect((await b.retrieve(resent.body.request_id)).status).toBe(200);
      expect((await b.run("optim_step", step2Body)).status).toBe(200);
      await alone.forwardBackward([learnerDatum(sequence)]);
      await alone.optimStep(adam(0.05).learner);
      expect(await logProbs(modelId)).toEqual((await alone.forward([learnerDatum(sequence)])).logProbs[0]);

      // A second server on the same directory is refused while this one lives.
      const refused = spawnLearner(checkpoint.directory, stateDir, ["--base-model-name", BASE_NAME]);
      await expect(refused).rejects.toThrow(
        /^hdpo-learner exited 1 before it was ready: hdpo-learner: .*is in use by another hdpo-learner \(pid/,
      );
      expect(((await refused.catch((error: Error) => error)) as Error).message.trim()).not.toContain("\n");
    } finally {
      second.child.kill("SIGTERM");
    }
    expect(await second.exited).toBe(0);
    expect(existsSync(join(stateDir, "server.lock"))).toBe(false);
  });
});
