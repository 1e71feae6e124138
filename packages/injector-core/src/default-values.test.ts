import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const script = fileURLToPath(new URL("../scripts/generate-values.mjs", import.meta.url));
const generated = fileURLToPath(new URL("./default-values.ts", import.meta.url));
// The chart values sit beside the project in the shared spec folder; where they are not, there is nothing to compare.
const chartValues = fileURLToPath(
  new URL("../../../../shared/spec/linkerd-control-plane-values.yaml", import.meta.url),
);

describe("default-values.ts", () => {
  it.skipIf(!existsSync(chartValues))("is what scripts/generate-values.mjs writes from Linkerd's chart values", () => {
    const output = execFileSync(process.execPath, [script, "--stdout", "--values", chartValues], { encoding: "utf8" });
    expect(readFileSync(generated, "utf8")).toBe(output);
  });
});
