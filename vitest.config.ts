import { defineConfig } from "vitest/config";

// One Node-side runner. Suites that need real workerd start `wrangler dev` (a real workerd process)
// themselves through the helpers in tests/helpers/, so every suite here talks to real processes.
export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts", "service/src/**/*.test.ts"],
    exclude: ["**/node_modules/**", "tests/browser/**"],
    globalSetup: ["tests/helpers/global-setup.ts"],
    pool: "forks",
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 180_000,
  },
});
