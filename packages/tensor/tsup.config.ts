import { defineConfig } from "tsup";
import base from "../../tsup.config.base";

// tfjs-core's gradient and chained-op registration files are ESM with extension-less imports, which Node
// cannot load from node_modules; bundling them (and what they import) is the only way to ship them.
// Everything else of tfjs stays external so that consumers share one tfjs-core instance and the wasm
// backend finds its .wasm files next to its own dist/.
export default defineConfig({
  ...base,
  noExternal: [
    /^@tensorflow\/tfjs-core\/dist\/register_all_gradients$/,
    /^@tensorflow\/tfjs-core\/dist\/public\/chained_ops\/register_all_chained_ops$/,
  ],
});
