/**
 * A `List` is injected item by item; its `null` items are kept in place and each gets the report line of a
 * document without a kind, which Linkerd's CLI tests compare byte for byte.
 */
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { runInject } from "./inject.js";
import { runUninject } from "./uninject.js";
import { injectArgs, testdata, TOOL } from "./test-support/fixtures.js";
import { memoryIo } from "./test-support/memory-io.js";

const INPUT = testdata("list-null-items.yaml");
const REPORT = [
  "",
  'deployment "web" injected',
  'document missing "kind" field, skipped',
  'configmap "web-config" skipped',
  'document missing "kind" field, skipped',
  "",
  "",
].join("\n");

async function inject(manual: boolean) {
  const io = memoryIo({ files: { "values.yaml": testdata("values.yaml"), "list.yaml": INPUT } });
  const code = await runInject(injectArgs({ input: "list.yaml", manual }), io, TOOL);
  return { code, stdout: io.stdoutText(), stderr: io.stderrText() };
}

describe.each([
  ["annotations only", false],
  ["--manual", true],
])("inject (%s) of a List with null items", (_mode, manual) => {
  it("prints a missing-kind line for each null item, in item order", async () => {
    const { code, stderr } = await inject(manual);
    expect(code).toBe(0);
    expect(stderr).toBe(REPORT);
  });

  it("keeps the null items in place", async () => {
    const { stdout } = await inject(manual);
    const items = (parse(stdout.replace(/---\n$/, "")) as { items: unknown[] }).items;
    expect(items.map((item) => (item === null ? null : (item as { kind: string }).kind))).toEqual([
      "Deployment",
      null,
      "ConfigMap",
      null,
    ]);
  });

  it(`matches the golden files testdata/list-null-items.${manual ? "manual" : "annotations"}.golden.{yaml,report}`, async () => {
    const { stdout, stderr } = await inject(manual);
    const golden = `../testdata/list-null-items.${manual ? "manual" : "annotations"}.golden`;
    await expect(stdout).toMatchFileSnapshot(`${golden}.yaml`);
    await expect(stderr).toMatchFileSnapshot(`${golden}.report`);
  });
});

it("uninject reports each null item of a List as a document without a kind", async () => {
  const io = memoryIo({ files: { "list.yaml": INPUT } });
  expect(await runUninject({ input: "list.yaml", output: "yaml", verbose: false }, io)).toBe(0);
  expect(io.stderrText()).toBe(
    '\ndeployment "web" skipped\ndocument missing "kind" field, skipped\nconfigmap "web-config" skipped\ndocument missing "kind" field, skipped\n\n',
  );
});
