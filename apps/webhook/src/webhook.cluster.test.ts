/**
 * End to end against a real Kubernetes control plane (kube-apiserver + kube-controller-manager v1.20.2 on
 * loopback, from shared/tools/kube-control-plane): the built webhook, running with the ServiceAccount and
 * ClusterRole of deploy/base/rbac.yaml, registered through a MutatingWebhookConfiguration, injects the pods a
 * Deployment's controllers create. Run with `pnpm --filter @l5d-injector/webhook test:cluster`.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeServingCertificate } from "./certs.js";

const run = promisify(execFile);
const APP = join(dirname(fileURLToPath(import.meta.url)), "..");
const SHARED = join(APP, "..", "..", "..", "shared");
const UP = join(SHARED, "tools", "kube-control-plane", "up");
const DOWN = join(SHARED, "tools", "kube-control-plane", "down");

let dir: string;
let kubeconfig: string;
let webhook: ChildProcess | undefined;
let webhookLog = "";

async function kubectl(...args: string[]): Promise<string> {
  const { stdout } = await run("kubectl", ["--kubeconfig", kubeconfig, ...args], { maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

async function kubectlApply(manifest: string): Promise<string> {
  const file = join(dir, `manifest-${Math.random().toString(16).slice(2)}.yaml`);
  await writeFile(file, manifest);
  return kubectl("apply", "-f", file);
}

async function eventually<T>(probe: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined as T);
    if (value !== undefined && done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out; last value: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function freePort(): Promise<number> {
  return import("node:net").then(
    ({ createServer }) =>
      new Promise((resolve) => {
        const s = createServer();
        s.listen(0, "127.0.0.1", () => {
          const port = (s.address() as { port: number }).port;
          s.close(() => resolve(port));
        });
      }),
  );
}

beforeAll(async () => {
  if (!existsSync(UP)) throw new Error(`the control-plane tool is missing: ${UP}`);
  if (!existsSync(join(APP, "dist", "main.js"))) throw new Error("build the webhook first (pnpm build)");
  dir = await mkdtemp(join(tmpdir(), "webhook-cluster-"));
  await run(UP, [join(dir, "cp")], { maxBuffer: 16 * 1024 * 1024, timeout: 900_000 });
  kubeconfig = join(dir, "cp", "kubeconfig");

  // The webhook runs as the deploy's ServiceAccount: this checks that its RBAC is enough.
  // Linkerd's namespace, as Linkerd labels it (deploy/ holds no Namespace: it goes into Linkerd's).
  await kubectlApply(
    "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: linkerd\n  labels: {config.linkerd.io/admission-webhooks: disabled}\n",
  );
  await kubectl("apply", "-f", join(APP, "deploy", "base", "rbac.yaml"));
  const secret = await eventually(
    () => kubectl("-n", "linkerd", "get", "sa", "l5d-proxy-injector", "-o", "jsonpath={.secrets[0].name}"),
    (name) => name !== "",
  );
  const token = Buffer.from(
    await kubectl("-n", "linkerd", "get", "secret", secret, "-o", "jsonpath={.data.token}"),
    "base64",
  ).toString();
  const server = (await kubectl("config", "view", "-o", "jsonpath={.clusters[0].cluster.server}")).trim();
  const saKubeconfig = join(dir, "injector-kubeconfig");
  await writeFile(
    saKubeconfig,
    [
      "apiVersion: v1",
      "kind: Config",
      `clusters: [{name: e2e, cluster: {server: "${server}", certificate-authority: "${join(dir, "cp", "ca.crt")}"}}]`,
      `users: [{name: injector, user: {token: "${token}"}}]`,
      "contexts: [{name: e2e, context: {cluster: e2e, user: injector}}]",
      "current-context: e2e",
    ].join("\n"),
  );

  const serving = await makeServingCertificate(dir, { hosts: ["127.0.0.1", "localhost"] });
  const port = await freePort();
  const admin = await freePort();
  webhook = spawn(
    process.execPath,
    [
      join(APP, "dist", "main.js"),
      `--addr=127.0.0.1:${port}`,
      `--metrics-addr=127.0.0.1:${admin}`,
      `--tls-cert=${serving.certFile}`,
      `--tls-key=${serving.keyFile}`,
      `--trust-roots=${join(APP, "test", "fixtures", "linkerd-trust-anchor.pem")}`,
      `--kubeconfig=${saKubeconfig}`,
      "--log-format=json",
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  webhook.stderr?.on("data", (d: Buffer) => (webhookLog += d.toString()));
  await eventually(
    () => fetch(`http://127.0.0.1:${admin}/ready`).then((r) => r.status),
    (s) => s === 200,
  );

  // The deploy's webhook configuration, pointed at the loopback webhook instead of the in-cluster Service.
  const mwc = (await readFile(join(APP, "deploy", "base", "mutating-webhook-configuration.yaml"), "utf8")).replace(
    /clientConfig:\n\s+service:\n(?:\s+\w+: .*\n)+/,
    `clientConfig:\n    url: https://127.0.0.1:${port}/\n    caBundle: ${Buffer.from(serving.caPem).toString("base64")}\n`,
  );
  expect(mwc).toContain(`url: https://127.0.0.1:${port}/`);
  await kubectlApply(mwc);
}, 900_000);

afterAll(async () => {
  webhook?.kill("SIGTERM");
  if (dir !== undefined) {
    await run(DOWN, [join(dir, "cp")]).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
});

describe("on a real control plane", () => {
  it("injects the pods of a Deployment with the classic layout on Kubernetes 1.20", async () => {
    await kubectlApply(`
apiVersion: v1
kind: Namespace
metadata:
  name: shop
  annotations:
    linkerd.io/inject: enabled
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: ghcr.io/example/web:1
        ports:
        - {name: http, containerPort: 8080}
`);
    const pods = await eventually(
      async () =>
        JSON.parse(await kubectl("-n", "shop", "get", "pods", "-l", "app=web", "-o", "json")) as {
          items: {
            metadata: { labels: Record<string, string>; annotations: Record<string, string> };
            spec: { containers: { name: string }[]; initContainers?: { name: string }[] };
          }[];
        },
      (list) => list.items.length === 3,
    );
    for (const pod of pods.items) {
      // Kubernetes 1.20 has no native sidecars: the proxy is the first regular container.
      expect(pod.spec.containers.map((c) => c.name)).toEqual(["linkerd-proxy", "web"]);
      expect(pod.spec.initContainers?.map((c) => c.name)).toEqual(["linkerd-init"]);
      expect(pod.metadata.labels["linkerd.io/proxy-deployment"]).toBe("web");
      expect(pod.metadata.annotations["linkerd.io/created-by"]).toMatch(/^l5d-injector\/webhook /);
    }
    // One Event on the Deployment, counted once per pod.
    const events = await eventually(
      async () =>
        JSON.parse(
          await kubectl("-n", "shop", "get", "events", "--field-selector", "reason=Injected", "-o", "json"),
        ) as {
          items: { involvedObject: { kind: string; name: string }; count: number; source: { component: string } }[];
        },
      (list) => list.items.reduce((n, e) => n + e.count, 0) === 3,
    );
    expect(events.items).toHaveLength(1);
    expect(events.items[0]).toMatchObject({
      involvedObject: { kind: "Deployment", name: "web" },
      count: 3,
      source: { component: "linkerd-proxy-injector" },
    });
    expect(webhookLog).toContain("Kubernetes v1.20.2 has no native sidecars");
  });

  it("shows why a pod was not injected as a kubectl warning", async () => {
    const file = join(dir, "hostnet.yaml");
    await writeFile(
      file,
      "apiVersion: v1\nkind: Pod\nmetadata: {name: hostnet, namespace: shop}\nspec:\n  hostNetwork: true\n  containers: [{name: c, image: busybox}]\n",
    );
    const { stderr } = await run("kubectl", ["--kubeconfig", kubeconfig, "apply", "-f", file]);
    expect(stderr).toContain('Warning: linkerd-proxy-injector: pod "hostnet" not injected: hostNetwork is enabled');
  });

  it("passes a server-side dry run of the deploy manifests for this Kubernetes version", async () => {
    const out = await kubectl("apply", "--dry-run=server", "-k", join(APP, "deploy", "kubernetes-1.20"));
    expect(out).toContain("deployment.apps/l5d-proxy-injector created (server dry run)");
    expect(out).toContain("poddisruptionbudget.policy/l5d-proxy-injector created (server dry run)");
    expect(out).toContain("networkpolicy.networking.k8s.io/l5d-proxy-injector created (server dry run)");
    // Applied for real above (with a loopback URL), so the dry run reconfigures it.
    expect(out).toMatch(
      /mutatingwebhookconfiguration\.admissionregistration\.k8s\.io\/l5d-proxy-injector-webhook-config (created|configured) \(server dry run\)/,
    );
  });
});
