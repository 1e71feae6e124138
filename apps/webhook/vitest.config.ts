import { defineConfig } from "vitest/config";

// Two projects so that `pnpm test` stays fast: the cluster test starts a real API server and runs only through
// `pnpm --filter @l5d-injector/webhook test:cluster`.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["src/**/*.test.ts"],
          exclude: ["src/**/*.cluster.test.ts"],
          // Only to catch a hang: heavy cases (10 MB bodies, property runs) can take many times their usual time on
          // a busy 2-core machine. Speed is measured by `pnpm bench`, never asserted here.
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: "cluster",
          include: ["src/**/*.cluster.test.ts"],
          testTimeout: 60_000,
          hookTimeout: 900_000,
        },
      },
    ],
  },
});
