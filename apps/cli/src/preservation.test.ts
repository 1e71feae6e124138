/**
 * The user's text survives: a manifest with comments, unusual key order, mixed indentation, flow collections and
 * a ConfigMap goes through `inject` in both modes, and every line the injection does not concern comes out
 * exactly as written.
 */
import { describe, expect, it } from "vitest";
import { runInject } from "./inject.js";
import { runUninject } from "./uninject.js";
import { injectArgs, lineDiff, testdata, TOOL } from "./test-support/fixtures.js";
import { memoryIo } from "./test-support/memory-io.js";

const INPUT = testdata("commented.yaml");

async function inject(manual: boolean): Promise<string> {
  const io = memoryIo({ files: { "values.yaml": testdata("values.yaml"), "manifest.yaml": INPUT } });
  expect(await runInject(injectArgs({ manual }), io, TOOL)).toBe(0);
  return io.stdoutText();
}

/** The output document (between `---` lines) that contains `marker`, with its first line number. */
function documentOf(output: string, marker: string): { first: number; last: number; text: string } {
  const lines = output.split("\n");
  const at = lines.indexOf(marker);
  let first = at;
  while (first > 0 && lines[first - 1] !== "---") first -= 1;
  let last = at;
  while (last < lines.length - 1 && lines[last + 1] !== "---") last += 1;
  return { first: first + 1, last: last + 1, text: lines.slice(first, last + 1).join("\n") };
}

describe.each([
  ["annotations only", false],
  ["--manual", true],
])("inject (%s) keeps the user's text", (_mode, manual) => {
  it("removes or changes no line of the input", async () => {
    expect(lineDiff(INPUT, await inject(manual)).removed).toEqual([]);
  });

  it("adds lines only inside the Deployment's pod template, plus the closing separator", async () => {
    const output = await inject(manual);
    const deployment = documentOf(output, "kind: Deployment          # kind first, apiVersion last: unusual but valid");
    const template = output.split("\n").indexOf("    template:") + 1;
    const specAfterTemplate = output.split("\n").indexOf("    selector:") + 1;
    const { added } = lineDiff(INPUT, output);
    const last = added.pop();
    expect(last).toEqual({ line: output.split("\n").length - 1, text: "---" });
    expect(added.length).toBeGreaterThan(0);
    for (const { line } of added) {
      expect(line).toBeGreaterThan(template);
      expect(line).toBeLessThan(specAfterTemplate);
      expect(line).toBeLessThanOrEqual(deployment.last);
    }
  });

  it("echoes the ConfigMap and the Service exactly as written", async () => {
    const output = await inject(manual);
    const configMap = documentOf(output, "kind: ConfigMap").text;
    expect(INPUT).toContain(configMap);
    expect(configMap).toContain("metadata: {name: web-config, namespace: emojivoto}   # flow style on purpose");
    expect(documentOf(output, "kind: Service").text).toBe(
      INPUT.slice(INPUT.lastIndexOf("apiVersion: v1\nkind: Service")).trimEnd(),
    );
  });

  it(`matches the golden file testdata/commented.${manual ? "manual" : "annotations"}.golden.yaml`, async () => {
    await expect(await inject(manual)).toMatchFileSnapshot(
      `../testdata/commented.${manual ? "manual" : "annotations"}.golden.yaml`,
    );
  });
});

it("adds exactly the inject annotation without --manual", async () => {
  expect(lineDiff(INPUT, await inject(false)).added.map((line) => line.text)).toEqual([
    "                linkerd.io/inject: enabled",
    "---",
  ]);
});

it("uninject gives back the user's text exactly", async () => {
  const io = memoryIo({ files: { "injected.yaml": await inject(true) } });
  expect(await runUninject({ input: "injected.yaml", output: "yaml", verbose: false }, io)).toBe(0);
  expect(io.stdoutText()).toBe(`${INPUT}---\n`);
  expect(io.stderrText()).toBe(
    '\ndocument missing "kind" field, skipped\nconfigmap "web-config" skipped\ndeployment "web" uninjected\nservice "web-svc" skipped\n\n',
  );
});
