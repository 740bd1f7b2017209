import { defineConfig } from "tsup";
import base from "../../tsup.config.base";

// The library entry plus the `hdpo-eval` bin.
export default defineConfig({
  ...base,
  entry: { index: "src/index.ts", "hdpo-eval": "src/bin/hdpo-eval.ts" },
});
