/**
 * Scripts moved over from `linkerd inject` (issue 12): each habit of Linkerd's CLI, through the whole command line
 * with an in-memory file system. `testdata/linkerd-empty-resources.input.yml` is Linkerd's own test input
 * `inject_emojivoto_deployment_empty_resources.input.yml` (linkerd/linkerd2, cli/cmd/testdata, Apache-2.0).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { runCli, type CliMeta } from "./cli.js";
import { testdata } from "./test-support/fixtures.js";
import { memoryIo, type MemoryIoOptions } from "./test-support/memory-io.js";

const META: CliMeta = { version: "9.9.9", linkerdNamespace: "linkerd" };
const VALUES = testdata("values.yaml");

async function cli(argv: string[], options: MemoryIoOptions = {}, meta: Partial<CliMeta> = {}) {
  const io = memoryIo({
    ...options,
    files: { "values.yaml": VALUES, "app.yaml": testdata("deployment.yaml"), ...options.files },
  });
  const code = await runCli(argv, io, { ...META, ...meta });
  return { code, stdout: io.stdoutText(), stderr: io.stderrText() };
}

const PROXY_CONTAINER = /^ +name: linkerd-proxy$/m;

describe("flags, as linkerd's command line reads them", () => {
  it("reads a boolean flag's value as Go's strconv.ParseBool does", async () => {
    for (const value of ["True", "1", "t", "TRUE", "true", "T"]) {
      const { code, stdout } = await cli(["inject", `--manual=${value}`, "--values", "values.yaml", "app.yaml"]);
      expect({ value, code, proxy: PROXY_CONTAINER.test(stdout) }).toEqual({ value, code: 0, proxy: true });
    }
    for (const value of ["False", "0", "f"]) {
      const { code, stdout } = await cli(["inject", `--manual=${value}`, "--values", "values.yaml", "app.yaml"]);
      expect({ value, code, proxy: PROXY_CONTAINER.test(stdout) }).toEqual({ value, code: 0, proxy: false });
    }
  });

  it("refuses a boolean value strconv.ParseBool does not read", async () => {
    const { code, stdout, stderr } = await cli(["inject", "--ingress=maybe", "--values", "values.yaml", "app.yaml"]);
    expect({ code, stdout }).toEqual({ code: 1, stdout: "" });
    expect(stderr).toMatch(/^Error: invalid argument "maybe" for "--ingress" flag: expected a boolean/);
  });

  it("takes global flags before the command", async () => {
    const { code, stderr } = await cli(["--verbose", "inject", "--values", "values.yaml", "app.yaml"]);
    expect(code).toBe(0);
    expect(stderr).toContain("√ pods do not use host networking");
  });

  it("accepts every Linkerd global flag", async () => {
    const { code, stderr } = await cli([
      "--as=jane",
      "--as-group",
      "dev",
      "inject",
      "--api-addr",
      "127.0.0.1:8085",
      "--cni-namespace",
      "cni",
      "--context",
      "prod",
      "--kubeconfig",
      "/kc",
      "-L",
      "linkerd",
      "--values",
      "values.yaml",
      "app.yaml",
    ]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '\ndeployment "web" injected\n\n' });
  });

  it("takes the registry from LINKERD_DOCKER_REGISTRY, as Linkerd does, unless --registry is given", async () => {
    const registry = { dockerRegistry: "mirror.example/linkerd" };
    const annotated = await cli(["inject", "--values", "values.yaml", "app.yaml"], {}, registry);
    expect(annotated.stdout).toContain("        config.linkerd.io/proxy-image: mirror.example/linkerd/proxy\n");
    const manual = await cli(["inject", "--manual", "--values", "values.yaml", "app.yaml"], {}, registry);
    expect(manual.stdout).toContain("image: mirror.example/linkerd/proxy:test-proxy-version\n");
    const flag = await cli(
      ["inject", "--registry", "other.example", "--values", "values.yaml", "app.yaml"],
      {},
      registry,
    );
    expect(flag.stdout).toContain("        config.linkerd.io/proxy-image: other.example/proxy\n");
  });

  it("prints Linkerd's notice for a deprecated flag, and still applies it", async () => {
    const cpu = await cli(["inject", "--proxy-cpu", "100m", "--values", "values.yaml", "app.yaml"]);
    expect(cpu.code).toBe(0);
    expect(cpu.stderr).toMatch(/^Flag --proxy-cpu has been deprecated, use --proxy-cpu-request instead\n/);
    expect(cpu.stdout).toContain("        config.linkerd.io/proxy-cpu-request: 100m\n");
    const version = await cli(["inject", "-v", "stable-2.14.10", "--values", "values.yaml", "app.yaml"]);
    expect(version.stderr).toMatch(/^Flag --proxy-version has been deprecated, /);
    expect(version.stdout).toContain("        config.linkerd.io/proxy-version: stable-2.14.10\n");
  });

  it("names an unknown flag once, with the flag it most likely means", async () => {
    const { code, stderr } = await cli(["inject", "--ignore-cluser", "app.yaml"]);
    expect(code).toBe(1);
    expect(stderr).toBe(
      "Error: unknown flag: --ignore-cluser (did you mean --ignore-cluster?)\nRun 'l5d-injector inject --help' for usage.\n",
    );
  });

  it("checks ports and port ranges of the skip-ports flags", async () => {
    const { code, stdout, stderr } = await cli([
      "inject",
      "--skip-outbound-ports",
      "abc,70000",
      "--values",
      "values.yaml",
      "app.yaml",
    ]);
    expect({ code, stdout }).toEqual({ code: 1, stdout: "" });
    expect(stderr).toBe(
      'Error: --skip-outbound-ports: "abc" is not a port (0-65535) or a port range (lower-upper, e.g. 8100-8102)\n',
    );
    expect(
      (await cli(["inject", "--skip-inbound-ports", "22,70000", "--values", "values.yaml", "app.yaml"])).stderr,
    ).toContain('"70000" is not a port');
  });

  it("says what a user ID must be", async () => {
    const { code, stderr } = await cli(["inject", "--proxy-uid", "-5", "--values", "values.yaml", "app.yaml"]);
    expect(code).toBe(1);
    expect(stderr).toBe('Error: --proxy-uid: must be a user ID, an integer from 0 to 2147483647; got "-5"\n');
  });
});

describe("commands", () => {
  it("prints completion scripts for bash, zsh and fish", async () => {
    const bash = await cli(["completion", "bash"]);
    expect(bash.code).toBe(0);
    expect(bash.stdout).toContain("complete -o default -F _l5d_injector l5d-injector");
    const zsh = await cli(["completion", "zsh"]);
    expect(zsh.code).toBe(0);
    expect(zsh.stdout).toMatch(/^#compdef l5d-injector\n/);
    const fish = await cli(["completion", "fish"]);
    expect(fish.code).toBe(0);
    expect(fish.stdout).toContain("complete -c l5d-injector -n '__fish_seen_subcommand_from inject' -l manual");
    // The bash script at least parses.
    const dir = mkdtempSync(join(tmpdir(), "l5d-completion-"));
    try {
      writeFileSync(join(dir, "completion.bash"), bash.stdout);
      expect(execFileSync("bash", ["-n", join(dir, "completion.bash")], { encoding: "utf8" })).toBe("");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("has a version command and a --version flag", async () => {
    const version = await cli(["version", "--client"]);
    expect(version).toMatchObject({ code: 0, stdout: "Client version: 9.9.9 (implements Linkerd edge-26.8.3)\n" });
    expect((await cli(["--version"])).stdout).toBe(version.stdout);
  });
});

describe("--values", () => {
  it("reads the linkerd-config ConfigMap as kubectl prints it", async () => {
    const configMap = [
      "apiVersion: v1",
      "kind: ConfigMap",
      "metadata:",
      "  name: linkerd-config",
      "  namespace: linkerd",
      "data:",
      "  values: |",
      ...VALUES.trimEnd()
        .split("\n")
        .map((line) => (line === "" ? "" : `    ${line}`)),
      "",
    ].join("\n");
    const fromConfigMap = await cli(["inject", "--manual", "--values", "cm.yaml", "app.yaml"], {
      files: { "cm.yaml": configMap },
    });
    const fromValues = await cli(["inject", "--manual", "--values", "values.yaml", "app.yaml"]);
    expect(fromConfigMap.code).toBe(0);
    expect(fromConfigMap.stderr).toBe(fromValues.stderr);
    expect(fromConfigMap.stdout).toBe(fromValues.stdout);
  });

  it("reports the unknown top-level keys of a values file", async () => {
    const { code, stderr } = await cli(["inject", "--values", "values.yaml", "--values", "typo.yaml", "app.yaml"], {
      files: { "typo.yaml": "proxyy:\n  logLevel: debug\n" },
    });
    expect(code).toBe(0);
    expect(stderr).toBe(
      '‼ values file typo.yaml: unknown key "proxyy" (did you mean "proxy"?), ignored\n\ndeployment "web" injected\n\n',
    );
  });
});

describe("output", () => {
  it("writes no empty resources that Linkerd's typed output leaves out (Linkerd's empty_resources case)", async () => {
    const { code, stdout } = await cli(["inject", "--manual", "--values", "values.yaml", "in.yml"], {
      files: { "in.yml": testdata("linkerd-empty-resources.input.yml") },
    });
    expect(code).toBe(0);
    expect(stdout).not.toMatch(/^ *resources: \{\}$/m);
    await expect(stdout).toMatchFileSnapshot("../testdata/linkerd-empty-resources.manual.golden.yaml");
  });

  it("writes no empty security context the configuration leaves in the injected containers", async () => {
    const { code, stdout } = await cli([
      "inject",
      "--manual",
      "--values",
      "values.yaml",
      "--set",
      "cniEnabled=true",
      "--set",
      "networkValidator.securityContext={}",
      "app.yaml",
    ]);
    expect(code).toBe(0);
    expect(stdout).toContain("name: linkerd-network-validator");
    expect(stdout).not.toMatch(/securityContext: \{\}/);
  });

  it("puts a pod template's new metadata before its spec, the user's keys staying in their order", async () => {
    const { code, stdout } = await cli(["inject", "--values", "values.yaml", "cron.yaml"], {
      files: { "cron.yaml": testdata("cronjob.yaml") },
    });
    expect(code).toBe(0);
    const template = stdout.slice(stdout.indexOf("      template:"));
    expect(template.indexOf("        metadata:")).toBeGreaterThan(0);
    expect(template.indexOf("        metadata:")).toBeLessThan(template.indexOf("        spec:"));
    await expect(stdout).toMatchFileSnapshot("../testdata/cronjob.annotations.golden.yaml");
  });
});

describe("input Linkerd refuses", () => {
  const deployment = (containers: string) =>
    [
      "apiVersion: v1",
      "kind: ConfigMap",
      "metadata: {name: first}",
      "---",
      "apiVersion: apps/v1",
      "kind: Deployment",
      "metadata:",
      "  name: web",
      "spec:",
      "  template:",
      "    spec:",
      `      containers: ${containers}`,
      "",
    ].join("\n");

  it("refuses containers that are not a list, naming the file and the document", async () => {
    const { code, stdout, stderr } = await cli(["inject", "--values", "values.yaml", "bad.yaml"], {
      files: { "bad.yaml": deployment('"oops"') },
    });
    expect({ code, stdout }).toEqual({ code: 1, stdout: "" });
    expect(stderr).toBe(
      'Error transforming resources:\nbad.yaml: document 2 (line 5, deployment/web): spec.template.spec.containers: expected a list of containers, got the string "oops"\n',
    );
  });

  it("refuses a port name where a container port number belongs", async () => {
    const { code, stderr } = await cli(["inject", "--values", "values.yaml", "bad.yaml"], {
      files: { "bad.yaml": deployment('[{name: web, ports: [{containerPort: "http"}]}]') },
    });
    expect(code).toBe(1);
    expect(stderr).toContain(
      'spec.template.spec.containers[0].ports[0].containerPort: expected a whole number (32-bit), got the string "http"',
    );
  });

  it("refuses the same input in uninject", async () => {
    const { code, stderr } = await cli(["uninject", "bad.yaml"], { files: { "bad.yaml": deployment('"oops"') } });
    expect(code).toBe(1);
    expect(stderr).toContain("spec.template.spec.containers: expected a list of containers");
  });
});

describe("directories", () => {
  it("reads only the .yaml, .yml and .json files of a directory, recursively", async () => {
    const files = {
      "manifests/README.md": "# How to deploy\n\nkubectl apply -f .\n",
      "manifests/deploy.sh": "kubectl apply -f .\n",
      "manifests/web.yaml": testdata("deployment.yaml"),
      "manifests/nested/config.json": '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}',
      "manifests/nested/other.yml": "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n",
    };
    const { code, stdout, stderr } = await cli(["inject", "--values", "values.yaml", "manifests"], { files });
    expect(code).toBe(0);
    expect(stdout).not.toContain("How to deploy");
    expect(stdout).not.toContain("kubectl apply");
    // One report per file read: the JSON, the .yml, then the .yaml (byte order, depth first).
    expect(stderr.match(/^.* (?:skipped|injected)$/gm)).toEqual([
      'configmap "c" skipped',
      'service "s" skipped',
      'deployment "web" injected',
    ]);
    expect(parse(stdout.split("---\n")[0] as string)).toEqual({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "c" },
    });
  });
});
