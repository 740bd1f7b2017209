import { defineConfig } from "tsup";
import base from "../../tsup.config.base";

// The library entry plus the `hdpo-serve` bin.
export default defineConfig({
  ...base,
  entry: { index: "src/index.ts", "hdpo-serve": "src/bin/hdpo-serve.ts" },
});
