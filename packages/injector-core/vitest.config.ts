import { defineConfig } from "vitest/config";

// The property and golden tests do real work per case: on a busy 2-core machine (CI runs the packages' suites one
// after another, beside whatever else runs) a case can take many times its usual time. The timeouts only catch a
// hang; speed is measured by `pnpm bench`, never here.
export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
