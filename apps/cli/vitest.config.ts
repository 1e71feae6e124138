import { defineConfig } from "vitest/config";

// Two projects so that `pnpm test` stays fast: the cluster tests start a real API server and run only through
// `pnpm test:cluster`.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["src/**/*.test.ts"],
          exclude: ["src/**/*.cluster.test.ts"],
        },
      },
      {
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
