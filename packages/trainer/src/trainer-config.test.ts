import { describe, expect, it } from "vitest";
import { parseRlSettings, parseTrainerConfig } from "./trainer-config";
import { TrainerError } from "./trainer-error";

describe("parseTrainerConfig", () => {
  it("fills in the reference defaults", () => {
    const config = parseTrainerConfig({});
    expect(config.rl).toMatchObject({
      groupSize: 16,
      wAcc: 1,
      wTool: 0.15,
      clipLow: 0.2,
      clipHigh: 0.2,
      clipC: 3,
      aggMode: "token-mean",
      klCoef: 0,
      entropyCoef: 0,
      temperature: 1,
      topP: 1,
      maxTurns: 10,
      advantage: "hdpo",
      dynamicSampling: false,
      oldLogProbs: "rollout",
      ppoEpochs: 1,
    });
    expect(config.sft.toolRate).toBe(0.95);
    expect(config.rl.miniBatchSize).toBeUndefined();
  });

  it("keeps given values and accepts a coupled baseline", () => {
    const rl = parseRlSettings({ groupSize: 4, advantage: { coupled: "per-call-penalty", alpha: 0.1 } });
    expect(rl.groupSize).toBe(4);
    expect(rl.advantage).toEqual({ coupled: "per-call-penalty", alpha: 0.1 });
  });

  it.each([
    [{ rl: { groupSize: 1 } }, "rl.groupSize"],
    [{ rl: { clipC: 1 } }, "rl.clipC"],
    [{ rl: { aggMode: "mean" } }, "rl.aggMode"],
    [{ sft: { toolRate: 2 } }, "sft.toolRate"],
    [{ model: { hiddenSize: 30, attentionHeads: 4 } }, "model.hiddenSize"],
    [{ tokenizer: { vocabSize: 100 } }, "tokenizer.vocabSize"],
    [{ rl: { advantage: "ppo" } }, "rl.advantage"],
  ])("names the bad field of %j", (input, field) => {
    expect(() => parseTrainerConfig(input)).toThrow(TrainerError);
    expect(() => parseTrainerConfig(input)).toThrow(field);
  });
});
