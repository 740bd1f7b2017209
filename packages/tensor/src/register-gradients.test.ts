import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { registerGradients } from "./register-gradients";
import { useBackend } from "./use-backend";

describe("registerGradients", () => {
  it("is needed: importing tfjs-core 4.22 in Node registers no gradient and no chained method", () => {
    // A fresh process, because the registries are process-global and this file registers them below.
    const probe =
      'const tf = require("@tensorflow/tfjs-core");' +
      'console.log(JSON.stringify([tf.getGradient("Sum") !== undefined, typeof tf.Tensor.prototype.reshape]));';
    const result = spawnSync(process.execPath, ["-e", probe], {
      cwd: fileURLToPath(new URL(".", import.meta.url)),
      encoding: "utf8",
    });
    expect(result.stderr).toBe("");
    expect(JSON.parse(result.stdout)).toEqual([false, "undefined"]);
  });

  describe("once registered", () => {
    beforeAll(async () => {
      await registerGradients();
      await useBackend("cpu");
    });

    it("registers the gradients our loss and a small transformer use", () => {
      for (const kernel of [
        "Sum",
        "Exp",
        "ClipByValue",
        "Maximum",
        "Minimum",
        "Select",
        "BatchMatMul",
        "GatherV2",
      ]) {
        expect(tf.getGradient(kernel), kernel).toBeDefined();
      }
    });

    it("makes tf.grad work: d/dx Σ x² = 2x", () => {
      const x = tf.tensor1d([1, -2, 3]);
      const gradient = tf.grad((v) => tf.sum(tf.square(v)))(x);
      expect(Array.from(gradient.dataSync())).toEqual([2, -4, 6]);
      tf.dispose([x, gradient]);
    });

    it("registers the chained methods tfjs's own gradients call (Prod's uses x.reshape)", () => {
      const x = tf.tensor1d([2, 3, 4]);
      // d/dx_i Π x = Π x / x_i = [12, 8, 6]
      const gradient = tf.grad((v) => tf.prod(v))(x);
      expect(Array.from(gradient.dataSync())).toEqual([12, 8, 6]);
      tf.dispose([x, gradient]);
    });

    it("lets an optimizer minimise: one SGD step of lr 0.5 on Σ x² moves x to 0", () => {
      const x = tf.variable(tf.tensor1d([1, -2]));
      // x ← x − 0.5·2x = 0
      tf.train.sgd(0.5).minimize(() => tf.sum(tf.square(x)));
      expect(Array.from(x.dataSync())).toEqual([0, 0]);
      x.dispose();
    });

    it("is idempotent: a second call returns the same registration", () => {
      expect(registerGradients()).toBe(registerGradients());
    });
  });
});
