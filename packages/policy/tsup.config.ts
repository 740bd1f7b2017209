import { defineConfig } from "tsup";
import base from "../../tsup.config.base";

// The library entry, the `./testing` entry package.json exports, the `hdpo-serve` bin, and the two modules
// data-parallel worker threads load by URL (a worker cannot load a module out of a bundle; see
// src/parallel/module-url.ts).
export default defineConfig({
  ...base,
  entry: {
    index: "src/index.ts",
    testing: "src/testing.ts",
    "hdpo-serve": "src/bin/hdpo-serve.ts",
    "parallel-worker": "src/parallel/replica-worker.ts",
    "parallel-masked-nll-loss": "src/parallel/masked-nll-loss.ts",
  },
});
