import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

/**
 * `pnpm test:e2e`: the end-to-end suite against a real API server. One file, run in order: its tests share one
 * webhook process and one cluster.
 */
export default defineConfig({
  // Vite's cache would otherwise land in e2e/node_modules: keep the suite's folder to sources.
  cacheDir: fileURLToPath(new URL("../node_modules/.vite/e2e", import.meta.url)),
  test: {
    root: fileURLToPath(new URL(".", import.meta.url)),
    include: ["**/*.e2e.test.ts"],
    globalSetup: ["./global-setup.ts"],
    fileParallelism: false,
    // Each wait inside a test has its own, shorter deadline; these only catch what has none.
    testTimeout: 180_000,
    hookTimeout: 180_000,
    teardownTimeout: 60_000,
    reporters: ["verbose"],
  },
});
