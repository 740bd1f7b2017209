import { defineConfig } from "vitest/config";

// Shared by every package. CI runs all packages' tests on 2 cores at once, where a property test that takes
// 0.8 s alone can take 6 s; the timeouts are guards against hangs, not speed targets (those live in benches).
// Benchmarks run one file at a time (`vitest bench` runs in mode "benchmark"): two files measured at once share the
// two cores and slow each other down.
export default defineConfig(({ mode }) => ({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    fileParallelism: mode !== "benchmark",
  },
}));
