import { defineConfig } from "vitest/config";

// Browser suites drive a real Chromium (Debian's /usr/bin/chromium via playwright-core) against real
// processes (wrangler dev, static servers on 127.0.0.1). Run with `npm run test:browser`.
export default defineConfig({
  test: {
    include: ["tests/browser/**/*.test.ts"],
    globalSetup: ["tests/helpers/global-setup.ts"],
    pool: "forks",
    maxWorkers: 1,
    testTimeout: 120_000,
    hookTimeout: 240_000,
  },
});
