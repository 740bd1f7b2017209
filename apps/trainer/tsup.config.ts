import { defineConfig } from "tsup";
import base from "../../tsup.config.base";

// The library entry plus the `hdpo-train` bin.
export default defineConfig({
  ...base,
  entry: { index: "src/index.ts", "hdpo-train": "src/bin/hdpo-train.ts" },
});
