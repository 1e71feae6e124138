import { describe, expect, it } from "vitest";
import { runInject } from "./inject.js";
import { runUninject } from "./uninject.js";
import { injectArgs, testdata, TOOL } from "./test-support/fixtures.js";
import { memoryIo } from "./test-support/memory-io.js";

const DEPLOYMENT = testdata("deployment.yaml");

async function injected(): Promise<string> {
  const io = memoryIo({ files: { "values.yaml": testdata("values.yaml"), "manifest.yaml": DEPLOYMENT } });
  await runInject(injectArgs({ manual: true }), io, TOOL);
  return io.stdoutText();
}

async function uninject(files: Record<string, string>, input = "manifest.yaml", output = "yaml") {
  const io = memoryIo({ files });
  const code = await runUninject({ input, output, verbose: false }, io);
  return { code, stdout: io.stdoutText(), stderr: io.stderrText() };
}

describe("runUninject", () => {
  it("removes the proxy, its volumes and Linkerd's metadata, giving back the manifest as written", async () => {
    const { code, stdout, stderr } = await uninject({ "manifest.yaml": await injected() });
    expect(code).toBe(0);
    expect(stdout).toBe(`${DEPLOYMENT}---\n`);
    expect(stderr).toBe('\ndeployment "web" uninjected\n\n');
  });

  it("leaves documents without Linkerd in them exactly as written", async () => {
    const manifest = `# plain\n${DEPLOYMENT}---\nkind: ConfigMap\nmetadata: {name: c}\n`;
    const { code, stdout, stderr } = await uninject({ "manifest.yaml": manifest });
    expect(code).toBe(0);
    expect(stdout).toBe(`${manifest}---\n`);
    expect(stderr).toBe('\ndeployment "web" skipped\nconfigmap "c" skipped\n\n');
  });

  it("writes JSON for -o json", async () => {
    const { stdout } = await uninject({ "manifest.yaml": await injected() }, "manifest.yaml", "json");
    expect(JSON.parse(stdout).spec.template.spec.initContainers).toBeUndefined();
    expect(JSON.parse(stdout).spec.template.metadata).toEqual({ labels: { app: "web-svc" } });
  });

  it("prints nothing of a malformed file, naming file and line", async () => {
    const { code, stdout, stderr } = await uninject({ "manifest.yaml": "kind: Pod\nmetadata:\n  name: [x\n" });
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toMatch(
      /^Error transforming resources:\nfailed to parse manifest\.yaml at line 4, column 1: Flow sequence in block collection/,
    );
  });
});
