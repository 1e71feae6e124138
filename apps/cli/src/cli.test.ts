import { describe, expect, it } from "vitest";
import { runCli, type CliMeta } from "./cli.js";
import { testdata } from "./test-support/fixtures.js";
import { memoryIo, type MemoryIoOptions } from "./test-support/memory-io.js";

const META: CliMeta = { version: "9.9.9", linkerdNamespace: "linkerd" };

async function cli(argv: string[], options: MemoryIoOptions = {}, meta: Partial<CliMeta> = {}) {
  const io = memoryIo({
    ...options,
    files: { "values.yaml": testdata("values.yaml"), "app.yaml": testdata("deployment.yaml"), ...options.files },
  });
  const code = await runCli(argv, io, { ...META, ...meta });
  return { code, stdout: io.stdoutText(), stderr: io.stderrText(), io };
}

describe("runCli", () => {
  it("shows help with examples for each command, without hidden and deprecated flags", async () => {
    const top = await cli(["--help"]);
    expect(top.code).toBe(0);
    expect(top.stdout).toContain("l5d-injector [command]");
    for (const command of ["inject", "uninject", "version", "completion", "help"])
      expect(top.stdout).toMatch(new RegExp(`^  ${command} `, "m"));
    const inject = await cli(["inject", "--help"]);
    expect(inject.stdout).toContain("Examples:");
    expect(inject.stdout).toContain("l5d-injector inject [flags] CONFIG-FILE");
    expect(inject.stdout).toMatch(/^ {6}--proxy-cpu-request string {2,}/m);
    expect(inject.stdout).toMatch(/^ {2}-L, --linkerd-namespace string {2,}.*\(default "linkerd"\)$/m);
    for (const hidden of ["--disable-identity", "--proxy-cpu ", "--proxy-memory ", "--proxy-version"])
      expect(inject.stdout).not.toContain(hidden);
    expect((await cli(["help", "uninject"])).stdout).toContain("l5d-injector uninject [flags] CONFIG-FILE");
    expect((await cli(["uninject", "-h"])).stdout).toBe((await cli(["help", "uninject"])).stdout);
  });

  it("prints the root help when no command is given, as linkerd does", async () => {
    const { code, stdout } = await cli([]);
    expect(code).toBe(0);
    expect(stdout).toContain("Available Commands:");
  });

  it("explains usage errors on stderr, pointing at the command's help, and exits 1", async () => {
    expect(await cli(["inject", "app.yaml", "--bogus"])).toMatchObject({
      code: 1,
      stdout: "",
      stderr: "Error: unknown flag: --bogus\nRun 'l5d-injector inject --help' for usage.\n",
    });
    expect((await cli(["injct", "app.yaml"])).stderr).toBe(
      'Error: unknown command "injct" for "l5d-injector"\n\nDid you mean this?\n\tinject\n\nRun \'l5d-injector --help\' for usage.\n',
    );
    expect((await cli(["inject", "app.yaml", "--values"])).stderr).toBe(
      "Error: flag needs an argument: --values\nRun 'l5d-injector inject --help' for usage.\n",
    );
    expect((await cli(["inject", "app.yaml", "-o"])).stderr).toBe(
      "Error: flag needs an argument: 'o' in -o\nRun 'l5d-injector inject --help' for usage.\n",
    );
    expect((await cli(["inject", "app.yaml", "-o", "xml"])).stderr).toBe(
      'Error: invalid argument "xml" for "-o, --output" flag: expected one of yaml, json, patch\nRun \'l5d-injector inject --help\' for usage.\n',
    );
    expect((await cli(["inject", "-L", "no_such/ns", "app.yaml"])).stderr).toBe(
      "Error: no_such/ns is not a valid namespace\nRun 'l5d-injector inject --help' for usage.\n",
    );
  });

  it("refuses a second input rather than silently ignoring it, and says how booleans take a value", async () => {
    expect((await cli(["inject", "--ignore-cluster", "app.yaml", "other.yaml"])).stderr).toBe(
      'Error: expected one CONFIG-FILE (give a folder, or - and pipe the files in), got "app.yaml" "other.yaml"\nRun \'l5d-injector inject --help\' for usage.\n',
    );
    expect((await cli(["inject", "--manual", "false", "app.yaml"])).stderr).toContain(
      "a boolean flag takes its value after =, as in --manual=false",
    );
  });

  it("passes flags through to the injection, in any of pflag's spellings", async () => {
    const { code, stdout, io } = await cli([
      "inject",
      "--values=values.yaml",
      "--admin-port",
      "0x4d2",
      "--skip-inbound-ports",
      "22",
      "--skip-inbound-ports=8100-8102",
      "--set",
      "proxy.logFormat=json",
      "--set",
      "proxy.ports.control=5190",
      "--ingress=t",
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

  it("asks the cluster in the namespace and context given, impersonating as asked, with global flags on either side", async () => {
    const { code, stderr, io } = await cli(
      [
        "--context",
        "prod",
        "-L",
        "mesh",
        "inject",
        "--kubeconfig",
        "/kc",
        "--as",
        "jane",
        "--as-group",
        "dev",
        "--as-group=ops",
        "app.yaml",
      ],
      { cluster: { ok: false, message: "unreachable" } },
    );
    expect(code).toBe(1);
    expect(stderr).toBe("Error: unreachable; use --ignore-cluster for the built-in defaults, or --values FILE\n");
    expect(io.clusterRequests).toEqual([
      { namespace: "mesh", kubeconfig: "/kc", context: "prod", impersonate: "jane", impersonateGroups: ["dev", "ops"] },
    ]);
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

describe("version", () => {
  it("prints the CLI's version, the Linkerd version it implements, and the cluster's", async () => {
    const { code, stdout, stderr, io } = await cli(["version", "-L", "mesh"], {
      cluster: { ok: true, values: { linkerdVersion: "edge-26.8.3" } },
    });
    expect(code).toBe(0);
    expect(stdout).toBe("Client version: 9.9.9 (implements Linkerd edge-26.8.3)\nServer version: edge-26.8.3\n");
    expect(stderr).toBe("");
    expect(io.clusterRequests).toEqual([{ namespace: "mesh" }]);
  });

  it("says the server version is unavailable, and why, without failing", async () => {
    const { code, stdout, stderr } = await cli(["version"], {
      cluster: { ok: false, message: "cannot reach the Kubernetes API server" },
    });
    expect(code).toBe(0);
    expect(stdout).toBe("Client version: 9.9.9 (implements Linkerd edge-26.8.3)\nServer version: unavailable\n");
    expect(stderr).toBe("cannot reach the Kubernetes API server\n");
  });

  it("leaves the cluster alone with --client and with --version", async () => {
    for (const argv of [["version", "--client"], ["--version"]]) {
      const { code, stdout, io } = await cli(argv);
      expect(code).toBe(0);
      expect(stdout).toBe("Client version: 9.9.9 (implements Linkerd edge-26.8.3)\n");
      expect(io.clusterRequests).toEqual([]);
    }
    expect((await cli(["version", "--client", "--short"])).stdout).toBe("9.9.9\n");
  });
});
