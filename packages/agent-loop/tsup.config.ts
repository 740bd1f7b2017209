import { defineConfig } from "tsup";
import base from "../../tsup.config.base";

// The library entry plus `testing`: wire-format test doubles for downstream tests (not for production use).
export default defineConfig({
  ...base,
  entry: { index: "src/index.ts", testing: "src/testing.ts" },
});
