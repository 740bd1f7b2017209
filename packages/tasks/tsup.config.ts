import { defineConfig } from "tsup";
import base from "../../tsup.config.base";

// The library entry plus `testing`: a tiny seeded suite for downstream tests.
export default defineConfig({
  ...base,
  entry: { index: "src/index.ts", testing: "src/testing.ts" },
});
