import { defineConfig } from "tsup";

// One build shape for every package: ESM only (Node >= 20.19 can require() it), typed entry,
// dependencies left external so that one tfjs-core instance is shared across packages.
export default defineConfig({
  entry: ["src/index.ts"],
  format: ["esm"],
  target: "node20",
  platform: "node",
  dts: true,
  sourcemap: true,
  clean: true,
  treeshake: true,
});
