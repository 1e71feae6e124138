import { describe, expect, it } from "vitest";
import { runCli } from "./cli.js";
import { testdata } from "./test-support/fixtures.js";
import { memoryIo, type MemoryIoOptions } from "./test-support/memory-io.js";

const META = { version: "9.9.9", linkerdNamespace: "linkerd", columns: 100 };

async function cli(argv: string[], options: MemoryIoOptions = {}) {
  const io = memoryIo({ ...options, files: { "values.yaml": testdata("values.yaml"), "app.yaml": testdata("deployment.yaml"), ...options.files } });
  const code = await runCli(argv, io, META);
  return { code, stdout: io.stdoutText(), stderr: io.stderrText(), io };
}

describe("runCli", () => {
  it("shows help with examples for each command", async () => {
    const top = await cli(["--help"]);
    expect(top.code).toBe(0);
    expect(top.stdout).toContain("injector inject [input]");
    expect(top.stdout).toContain("injector uninject [input]");
    expect(top.stdout).toContain("injector completion");
    const inject = await cli(["inject", "--help"]);
    expect(inject.stdout).toContain("Examples:");
    expect(inject.stdout).toContain("injector inject --manual deployment.yml");
    expect(inject.stdout).toContain("--proxy-cpu-request");
    expect(inject.stdout).not.toContain("--disable-identity");
    const uninject = await cli(["uninject", "--help"]);
    expect(uninject.stdout).toContain("injector uninject injected.yml");
  });

  it("prints a shell completion script", async () => {
    const { code, stdout } = await cli(["completion"]);
    expect(code).toBe(0);
    expect(stdout).toContain("injector --get-yargs-completions");
  });

  it("prints its version", async () => {
    expect((await cli(["--version"])).stdout).toBe("9.9.9\n");
  });

  it("explains usage errors on stderr and exits 1", async () => {
    expect(await cli(["inject", "app.yaml", "--bogus"])).toMatchObject({
      code: 1,
      stdout: "",
      stderr: 'Error: Unknown argument: bogus\nRun "injector inject --help" for usage.\n',
    });
    expect((await cli([])).stderr).toBe('Error: name a command: inject or uninject\nRun "injector --help" for usage.\n');
    expect((await cli(["inject", "app.yaml", "-o", "xml"])).stderr).toBe("Error: unsupported format xml (use yaml or json)\n");
    expect((await cli(["inject", "app.yaml", "--values"])).code).toBe(1);
  });

  it("passes flags through to the injection", async () => {
    const { code, stdout, io } = await cli([
      "inject",
      "--values",
      "values.yaml",
      "--admin-port",
      "1234",
      "--skip-inbound-ports",
      "22",
      "--skip-inbound-ports",
      "8100-8102",
      "--set",
      "proxy.logFormat=json",
      "--set",
      "proxy.ports.control=5190",
      "--ingress",
      "app.yaml",
    ]);
    expect(code).toBe(0);
    expect(io.clusterRequests).toEqual([]);
    for (const line of [
      'config.linkerd.io/admin-port: "1234"',
      'config.linkerd.io/control-port: "5190"',
      "config.linkerd.io/proxy-log-format: json",
      "config.linkerd.io/skip-inbound-ports: 22,8100-8102",
      "linkerd.io/inject: ingress",
    ]) {
      expect(stdout).toContain(`        ${line}\n`);
    }
  });

  it("reads stdin for a lone -", async () => {
    const { code, stdout } = await cli(["inject", "--ignore-cluster", "-"], { stdin: testdata("deployment.yaml") });
    expect(code).toBe(0);
    expect(stdout).toContain("linkerd.io/inject: enabled");
  });

  it("asks the cluster in the namespace and context given", async () => {
    const { code, stderr, io } = await cli(["inject", "-L", "mesh", "--context", "prod", "--kubeconfig", "/kc", "app.yaml"], {
      cluster: { ok: false, message: "unreachable" },
    });
    expect(code).toBe(1);
    expect(stderr).toBe("Error: unreachable\n");
    expect(io.clusterRequests).toEqual([{ namespace: "mesh", kubeconfig: "/kc", context: "prod" }]);
  });

  it("refuses the hidden --disable-identity", async () => {
    expect((await cli(["inject", "--disable-identity", "app.yaml"])).stderr).toBe(
      "Error: --disable-identity is no longer supported; identity is always required\n",
    );
  });

  it("runs uninject", async () => {
    const { code, stderr } = await cli(["uninject", "app.yaml"]);
    expect(code).toBe(0);
    expect(stderr).toBe('\ndeployment "web" skipped\n\n');
  });
});
