import { defineConfig } from "tsup";
import base from "../../tsup.config.base";

// The base config plus the `./testing` entry that package.json exports.
export default defineConfig({ ...(base as object), entry: ["src/index.ts", "src/testing.ts"] });
