import { defineConfig } from "tsup";
import base from "../../tsup.config.base";

// The library entry plus the `hdpo-learner` bin.
export default defineConfig({
  ...base,
  entry: { index: "src/index.ts", "hdpo-learner": "src/bin/hdpo-learner.ts" },
});
