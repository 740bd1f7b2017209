import { defineConfig } from "vitest/config";

// Shared by every package. CI runs all packages' tests on 2 cores at once, where a property test that takes
// 0.8 s alone can take 6 s; the timeouts are guards against hangs, not speed targets (those live in benches).
export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
