import { defineConfig } from "tsup";
import base from "../../tsup.config.base";

// The library entry plus `@hdpo/evaluation/testing` (a prediction builder for tests of code that reads predictions).
export default defineConfig({
  ...base,
  entry: { index: "src/index.ts", testing: "src/testing.ts" },
});
