let registration: Promise<void> | undefined;

/**
 * Registers tfjs-core's gradient functions and its chained tensor methods (idempotent).
 *
 * In Node, `@tensorflow/tfjs-core` resolves to its CommonJS bundle, which registers neither: tf.grad
 * fails with "gradient function not found for Sum". The files that do register them
 * (`dist/register_all_gradients.js`, `dist/public/chained_ops/register_all_chained_ops.js`) are ESM with
 * extension-less imports that Node cannot load, so tsup bundles them (see tsup.config.ts). What they
 * register lands in tfjs's global registries, shared by every copy of tfjs-core, and their ops run
 * through the one global engine. The chained methods are needed because some of tfjs's own gradients
 * call them (`x.split` in GatherV2's with batchDims, `x.reshape` in Prod's).
 */
export function registerGradients(): Promise<void> {
  registration ??= Promise.all([
    import("@tensorflow/tfjs-core/dist/register_all_gradients"),
    import("@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops"),
  ]).then(() => undefined);
  return registration;
}
