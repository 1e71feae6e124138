import { expect, it } from "vitest";

it("runs its tests against the core's TypeScript source, so a change to the core needs no rebuild", () => {
  // Resolved as this suite's imports are: through the core's "@l5d-injector/source" export condition.
  expect(import.meta.resolve("@l5d-injector/injector-core")).toMatch(/\/packages\/injector-core\/src\/index\.ts$/);
});
