import { defineConfig, mergeConfig } from "vitest/config";
import base from "../../vitest.config.base";

// src/register-gradients.ts imports two tfjs-core files that are ESM with extension-less imports; Vite
// would transform their ~600 modules one by one (seconds). Pre-bundling them with esbuild takes a fraction.
export default mergeConfig(
  base,
  defineConfig({
    test: {
      deps: {
        optimizer: {
          ssr: {
            enabled: true,
            include: [
              "@tensorflow/tfjs-core/dist/register_all_gradients",
              "@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops",
            ],
          },
        },
      },
    },
  }),
);
