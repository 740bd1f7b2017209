import { defineConfig } from "tsup";
import base from "../../tsup.config.base";

// The library entry, the test fixtures (`@hdpo/curation/testing`) and the `hdpo-curate` bin.
export default defineConfig({
  ...base,
  entry: { index: "src/index.ts", testing: "src/testing.ts", "hdpo-curate": "src/bin/hdpo-curate.ts" },
});
