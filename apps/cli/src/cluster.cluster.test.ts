/**
 * Reading `linkerd-config` from a real Kubernetes API server (etcd + kube-apiserver started on loopback by the
 * shared `kube-control-plane` tools). Run with `pnpm test:cluster`; skipped, saying why, where the control-plane
 * binaries have not been built.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./cli.js";
import type { CliIo } from "./io.js";
import { createNodeIo } from "./node-io.js";
import { testdata } from "./test-support/fixtures.js";

/** The shared tools sit beside the repository (`../shared`), in a work tree as in CI's fresh clone. */
const TOOLS =
  process.env.KUBE_CONTROL_PLANE_TOOLS ??
  fileURLToPath(new URL("../../../../shared/tools/kube-control-plane", import.meta.url));
const CACHE =
  process.env.KUBE_CP_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "kube-control-plane");

function whyUnavailable(): string | undefined {
  if (!existsSync(join(TOOLS, "up"))) return `no kube-control-plane tools at ${TOOLS} (set KUBE_CONTROL_PLANE_TOOLS)`;
  const built = existsSync(CACHE)
    ? readdirSync(CACHE).some((version) => existsSync(join(CACHE, version, "bin", "kube-apiserver")))
    : false;
  return built ? undefined : `control-plane binaries not built in ${CACHE} (run ${join(TOOLS, "build")})`;
}

const unavailable = whyUnavailable();
// The default reporter shows only a count of skipped tests; say why where it shows.
if (unavailable !== undefined) console.warn(`cluster tests skipped: ${unavailable}`);
const VALUES = testdata("values.yaml");
const DEPLOYMENT = testdata("deployment.yaml");

/** The real io (cluster, files) with stdout and stderr captured. */
function capturingIo(stdin = DEPLOYMENT): CliIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    ...createNodeIo({ color: false }),
    readStdin: async () => stdin,
    stdout: { write: (text) => void out.push(text) },
    stderr: { write: (text) => void err.push(text), isTTY: false },
    out,
    err,
  };
}

async function cli(argv: string[]) {
  const io = capturingIo();
  const code = await runCli(argv, io, { version: "test", linkerdNamespace: "linkerd" });
  return { code, stdout: io.out.join(""), stderr: io.err.join("") };
}

describe.skipIf(unavailable !== undefined)(
  `reading linkerd-config from a cluster${unavailable ? ` (skipped: ${unavailable})` : ""}`,
  () => {
    let dir = "";
    let kubeconfig = "";
    let server = "";
    let valuesFile = "";

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), "injector-cluster-"));
      execFileSync(join(TOOLS, "up"), [dir], { stdio: ["ignore", "ignore", "pipe"], timeout: 170_000 });
      kubeconfig = join(dir, "kubeconfig");
      server = /KUBE_API=(\S+)/.exec(readFileSync(join(dir, "env"), "utf8"))?.[1] ?? "";
      valuesFile = join(dir, "values.yaml");
      writeFileSync(valuesFile, VALUES);

      const k8s = await import("@kubernetes/client-node");
      const config = new k8s.KubeConfig();
      config.loadFromFile(kubeconfig);
      const api = config.makeApiClient(k8s.CoreV1Api);
      await api.createNamespace({ body: { metadata: { name: "linkerd" } } });
      await api.createNamespacedConfigMap({
        namespace: "linkerd",
        body: { metadata: { name: "linkerd-config" }, data: { values: VALUES } },
      });
      await api.createNamespace({ body: { metadata: { name: "empty" } } });
    });

    afterAll(() => {
      if (dir === "") return;
      execFileSync(join(TOOLS, "down"), [dir], { stdio: "ignore" });
      rmSync(dir, { recursive: true, force: true });
    });

    it("injects with the cluster's values exactly as with the same values given as a file", async () => {
      const fromCluster = await cli(["inject", "--manual", "--kubeconfig", kubeconfig, "-"]);
      const fromFile = await cli(["inject", "--manual", "--values", valuesFile, "-"]);
      expect(fromCluster.stderr).toBe('\ndeployment "web" injected\n\n');
      expect(fromCluster.code).toBe(0);
      expect(fromCluster.stdout).toBe(fromFile.stdout);
      expect(fromCluster.stdout).toContain("linkerd.io/proxy-version: test-proxy-version");
    });

    it("finds the cluster through KUBECONFIG and the kubeconfig's contexts", async () => {
      const saved = process.env.KUBECONFIG;
      process.env.KUBECONFIG = kubeconfig;
      try {
        const viaEnvironment = await cli(["inject", "--manual", "--context", "e2e", "-"]);
        expect(viaEnvironment.code).toBe(0);
        const unknownContext = await cli(["inject", "--manual", "--context", "staging", "-"]);
        expect(unknownContext).toEqual({
          code: 1,
          stdout: "",
          stderr:
            'Error: context "staging" is not in the Kubernetes configuration; use --ignore-cluster for the built-in defaults, or --values FILE\n',
        });
      } finally {
        if (saved === undefined) delete process.env.KUBECONFIG;
        else process.env.KUBECONFIG = saved;
      }
    });

    it("says in one line that Linkerd is not installed in the namespace, and what to do", async () => {
      const result = await cli(["inject", "--kubeconfig", kubeconfig, "-L", "empty", "-"]);
      expect(result).toEqual({
        code: 1,
        stdout: "",
        stderr:
          `Error: Linkerd is not installed in namespace "empty" of cluster ${server}: ConfigMap empty/linkerd-config not found ` +
          "(-L names the control-plane namespace); use --ignore-cluster for the built-in defaults, or --values FILE\n",
      });
    });

    it("reads the cluster as the --as user in the --as-group groups", async () => {
      // The API server checks the impersonated identity: a user with no role may not read the ConfigMap; in the
      // system:masters group (every --as-group header sent) it may.
      const nobody = await cli(["inject", "--kubeconfig", kubeconfig, "--as", "nobody", "-"]);
      expect(nobody.code).toBe(1);
      expect(nobody.stderr).toContain("not allowed to read ConfigMap linkerd/linkerd-config");
      expect(nobody.stderr).toContain("(HTTP 403)");
      const admin = await cli([
        "inject",
        "--kubeconfig",
        kubeconfig,
        "--as",
        "jane",
        "--as-group",
        "developers",
        "--as-group",
        "system:masters",
        "-",
      ]);
      expect(admin).toMatchObject({ code: 0, stderr: '\ndeployment "web" injected\n\n' });
    });

    it("prints the cluster's Linkerd version", async () => {
      const version = await cli(["version", "--kubeconfig", kubeconfig]);
      expect(version).toEqual({
        code: 0,
        stdout: "Client version: test (implements Linkerd edge-26.8.3)\nServer version: test-control-plane-version\n",
        stderr: "",
      });
    });

    it("says in one line that the API server cannot be reached once it is stopped", async () => {
      execFileSync(join(TOOLS, "down"), [dir], { stdio: "ignore" });
      const result = await cli(["inject", "--kubeconfig", kubeconfig, "-"]);
      expect(result).toEqual({
        code: 1,
        stdout: "",
        stderr: `Error: cannot reach the Kubernetes API server at ${server} (ECONNREFUSED); use --ignore-cluster for the built-in defaults, or --values FILE\n`,
      });
    });
  },
);
