import * as tf from "@tensorflow/tfjs-core";

/**
 * Keeps the cpu backend from printing its one-time "Hi, looks like you are running TensorFlow.js in
 * Node.js … install our node backend" banner. The banner is printed on the backend's first tensor write
 * and guarded by the instance field `firstUse`; clearing that field skips exactly this banner. The
 * alternative, `tf.enableProdMode()`, would silence every tfjs warning, which we do not want.
 */
export function suppressCpuBanner(): void {
  const backend: unknown = tf.findBackend("cpu");
  if (typeof backend === "object" && backend !== null && "firstUse" in backend) {
    (backend as { firstUse: boolean }).firstUse = false;
  }
}
