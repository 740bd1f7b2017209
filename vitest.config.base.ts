import { defineConfig } from "vitest/config";

// Shared by every package. CI runs all packages' tests on 2 cores at once, where a property test that takes
// 0.8 s alone can take 6 s; the timeouts are guards against hangs, not speed targets (those live in benches).
// Benchmarks (`vitest bench`) run one file at a time: two files measured at once share the two cores and slow each
// other down. (An object, not a callback on the mode: packages extend it with mergeConfig.)
const benchmarking = process.argv.includes("bench");

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    fileParallelism: !benchmarking,
  },
});
