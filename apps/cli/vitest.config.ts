import { defineConfig } from "vitest/config";

// Two projects so that `pnpm test` stays fast: the cluster tests start a real API server and run only through
// `pnpm test:cluster`.
export default defineConfig({
  // Tests run against the core's TypeScript source (its "@l5d-injector/source" export condition), so that a change to
  // the core is tested here without rebuilding it; `tsc` and the CLI bundle resolve the core's dist. A custom list
  // replaces Vite's default server conditions, hence the three after ours.
  ssr: { resolve: { conditions: ["@l5d-injector/source", "module", "node", "development|production"] } },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["src/**/*.test.ts", "test/**/*.test.ts"],
          exclude: ["src/**/*.cluster.test.ts"],
          // Only to catch a hang: heavy cases (10 MB bodies, property runs) can take many times their usual time on
          // a busy 2-core machine. Speed is measured by `pnpm bench`, never asserted here.
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        extends: true,
        test: {
          name: "cluster",
          include: ["src/**/*.cluster.test.ts"],
          testTimeout: 60_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
