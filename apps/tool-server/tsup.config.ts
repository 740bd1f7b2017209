import { defineConfig } from "tsup";
import base from "../../tsup.config.base";

// The library entry plus the `hdpo-tool-server` bin.
export default defineConfig({
  ...base,
  entry: { index: "src/index.ts", "hdpo-tool-server": "src/bin/hdpo-tool-server.ts" },
});
