/**
 * Installing, using and removing the webhook on a real API server (kube-apiserver v1.20.2 from
 * shared/tools/kube-control-plane), beside Linkerd's own control plane objects (shared/linkerd-chart, rendered from
 * Linkerd's chart):
 *
 * * the Helm chart: `helm install`, a pod injected through the installed configuration, `helm uninstall`, and then
 *   nothing of ours left and every Linkerd object as it was;
 * * deploy/ (kustomize): `kubectl delete -k` leaves the `linkerd` namespace and Linkerd's objects alone;
 * * the image as Linkerd's proxy-injector: `kubectl set image` on Linkerd's Deployment, then the image's root
 *   filesystem started as that Deployment's container would be (its args, its mounts filled from the cluster, its
 *   uid, a read-only root, a network namespace of its own), answering the API server's reviews; then the image set
 *   back. Skipped, saying why, where the image has not been built (`pnpm image`) or cannot be started here.
 *
 * There is no kubelet: the chart's and Linkerd's Deployments never run, so the tests run the webhook themselves and
 * point the installed webhook configuration at it with a URL.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, lstatSync, readlinkSync } from "node:fs";
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { connect, createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { dirname, isAbsolute, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments, stringify } from "yaml";
import { makeServingCertificate } from "./certs.js";
// @ts-expect-error: a plain ESM script without types
import { helmPath } from "../scripts/helm.mjs";

const run = promisify(execFile);
const APP = join(dirname(fileURLToPath(import.meta.url)), "..");
const SHARED = join(APP, "..", "..", "..", "shared");
const UP = join(SHARED, "tools", "kube-control-plane", "up");
const DOWN = join(SHARED, "tools", "kube-control-plane", "down");
const LINKERD = join(SHARED, "linkerd-chart", "linkerd-control-plane-edge-26.8.3.yaml");
const IMAGE = `l5d-injector/webhook:${(JSON.parse(await readFile(join(APP, "package.json"), "utf8")) as { version: string }).version}`;
const LINKERD_IMAGE = "cr.l5d.io/linkerd/controller:edge-26.8.3";
const BUILDAH = ["--storage-driver", "vfs"];

let dir: string;
let kubeconfig: string;
let apiPort: number;
/** The objects of Linkerd's rendered chart that this API server took. */
let linkerdObjects: Kube[] = [];
const processes: ChildProcess[] = [];
const servers: Server[] = [];
/** The buildah working container of the image test, removed however the test ends. */
let buildContainer: string | undefined;

interface Kube {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [key: string]: unknown;
}

async function kubectl(...args: string[]): Promise<string> {
  const { stdout } = await run("kubectl", ["--kubeconfig", kubeconfig, ...args], { maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

async function getJson<T = Kube>(...args: string[]): Promise<T> {
  return JSON.parse(await kubectl("get", "-o", "json", ...args)) as T;
}

async function applyText(manifest: string): Promise<void> {
  const file = join(dir, `manifest-${Math.random().toString(16).slice(2)}.yaml`);
  await writeFile(file, manifest);
  await kubectl("apply", "-f", file);
}

async function helm(...args: string[]): Promise<string> {
  const { stdout } = await run((helmPath as () => string)(), [...args, "--kubeconfig", kubeconfig], {
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout;
}

async function eventually<T>(
  probe: () => Promise<T>,
  done: (v: T) => boolean,
  what: string,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await probe().catch(() => undefined);
    if (last !== undefined && done(last)) return last;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)?.slice(0, 500)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Every Linkerd object of the rendered chart as the API server holds it: uid and everything but status and metadata. */
async function linkerdState(): Promise<Map<string, string>> {
  const state = new Map<string, string>();
  for (const o of linkerdObjects) {
    const ns = o.metadata.namespace;
    const live = await getJson(o.kind, o.metadata.name, ...(ns !== undefined ? ["-n", ns] : []));
    const { metadata, status: _status, ...rest } = live;
    state.set(
      `${o.kind} ${ns ?? ""}/${o.metadata.name}`,
      JSON.stringify({ uid: metadata.uid, labels: metadata.labels, annotations: metadata.annotations, ...rest }),
    );
  }
  const ns = await getJson("namespace", "linkerd");
  state.set(
    "Namespace linkerd",
    JSON.stringify({
      uid: ns.metadata.uid,
      labels: ns.metadata.labels,
      annotations: ns.metadata.annotations,
      phase: (ns["status"] as { phase: string }).phase,
    }),
  );
  return state;
}

/** A token kubeconfig for a ServiceAccount (Kubernetes 1.20 still makes token Secrets for them). */
async function serviceAccountToken(namespace: string, name: string): Promise<string> {
  const secret = await eventually(
    () => kubectl("-n", namespace, "get", "sa", name, "-o", "jsonpath={.secrets[0].name}"),
    (s) => s !== "",
    `a token for ${namespace}/${name}`,
  );
  return Buffer.from(
    await kubectl("-n", namespace, "get", "secret", secret, "-o", "jsonpath={.data.token}"),
    "base64",
  ).toString();
}

async function serviceAccountKubeconfig(namespace: string, name: string): Promise<string> {
  const file = join(dir, `kubeconfig-${name}`);
  await writeFile(
    file,
    [
      "apiVersion: v1",
      "kind: Config",
      `clusters: [{name: c, cluster: {server: "https://127.0.0.1:${apiPort}", certificate-authority: "${join(dir, "cp", "ca.crt")}"}}]`,
      `users: [{name: u, user: {token: "${await serviceAccountToken(namespace, name)}"}}]`,
      "contexts: [{name: c, context: {cluster: c, user: u}}]",
      "current-context: c",
    ].join("\n"),
  );
  return file;
}

interface Pod {
  metadata: { annotations?: Record<string, string> };
  spec: { containers: { name: string }[]; initContainers?: { name: string }[] };
}

/** Creates a bare pod and returns it as stored (after admission). */
async function createPod(namespace: string, name: string): Promise<Pod> {
  await applyText(`apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  containers: [{name: app, image: ghcr.io/example/app:1}]
`);
  return getJson<Pod>("-n", namespace, "pod", name);
}

async function annotatedNamespace(name: string): Promise<void> {
  await applyText(`apiVersion: v1
kind: Namespace
metadata: {name: ${name}, annotations: {linkerd.io/inject: enabled}}
`);
}

function containerNames(pod: Pod): string[] {
  return [...(pod.spec.initContainers ?? []), ...pod.spec.containers].map((c) => c.name);
}

beforeAll(async () => {
  if (!existsSync(UP)) throw new Error(`the control-plane tool is missing: ${UP}`);
  if (!existsSync(join(APP, "dist", "main.js"))) throw new Error("build the webhook first (pnpm build)");
  dir = await mkdtemp(join(tmpdir(), "webhook-install-"));
  await run(UP, [join(dir, "cp")], { maxBuffer: 16 * 1024 * 1024, timeout: 900_000 });
  kubeconfig = join(dir, "cp", "kubeconfig");
  apiPort = Number(/127\.0\.0\.1:(\d+)/.exec(await readFile(join(dir, "cp", "env"), "utf8"))?.[1]);

  // Linkerd's control plane as `linkerd install` leaves it: the namespace (created by Linkerd's CLI or its CRD chart,
  // with these labels) and everything its control-plane chart renders.
  await applyText(`apiVersion: v1
kind: Namespace
metadata:
  name: linkerd
  labels: {config.linkerd.io/admission-webhooks: disabled, linkerd.io/is-control-plane: "true", linkerd.io/control-plane-ns: linkerd}
  annotations: {linkerd.io/inject: disabled}
`);
  // Linkerd's objects as rendered, adapted only where Kubernetes 1.20 cannot take them: the proxies Linkerd's own
  // partials render as native sidecars (init containers with restartPolicy Always) are regular containers there, as
  // Linkerd renders them with proxy.nativeSidecar=false, and CronJob is batch/v1beta1.
  linkerdObjects = [];
  for (const doc of parseAllDocuments(await readFile(LINKERD, "utf8"))) {
    const o = doc.toJS() as Kube | null;
    if (o === null) continue;
    if (o.kind === "CronJob") o.apiVersion = "batch/v1beta1";
    const pod = (
      o["spec"] as
        | { template?: { spec?: { initContainers?: Record<string, unknown>[]; containers: unknown[] } } }
        | undefined
    )?.template?.spec;
    const sidecars = pod?.initContainers?.filter((c) => c["restartPolicy"] === "Always") ?? [];
    if (pod !== undefined && sidecars.length > 0) {
      pod.initContainers = (pod.initContainers ?? []).filter((c) => !sidecars.includes(c));
      pod.containers = [...sidecars.map(({ restartPolicy: _r, ...c }) => c), ...pod.containers];
    }
    linkerdObjects.push(o);
  }
  expect(linkerdObjects.map((o) => o.kind)).toContain("MutatingWebhookConfiguration");
  await applyText(linkerdObjects.map((o) => stringify(o)).join("---\n"));
}, 900_000);

async function removeBuildContainer(): Promise<void> {
  if (buildContainer === undefined) return;
  await run("buildah", [...BUILDAH, "umount", buildContainer]).catch(() => undefined);
  await run("buildah", [...BUILDAH, "rm", buildContainer]).catch(() => undefined);
  buildContainer = undefined;
}

afterAll(async () => {
  for (const child of processes)
    if (child.pid !== undefined && child.exitCode === null) process.kill(-child.pid, "SIGKILL");
  await removeBuildContainer();
  for (const server of servers) server.close();
  if (dir !== undefined) {
    await run(DOWN, [join(dir, "cp")]).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
});

describe("the Helm chart", () => {
  it("renders, with its certificate generated or supplied, objects the API server accepts (server-side dry run)", async () => {
    const version = (JSON.parse(await kubectl("version", "-o", "json")) as { serverVersion: { gitVersion: string } })
      .serverVersion.gitVersion;
    for (const values of [
      [],
      ["--set", "certificate.source=secret", "--set", "webhookFailurePolicy=Fail", "--set", "podAntiAffinity=required"],
    ]) {
      const rendered = join(dir, `rendered-${values.length}.yaml`);
      await writeFile(
        rendered,
        await helm(
          "template",
          "l5d-injector",
          join(APP, "chart"),
          "--namespace",
          "linkerd",
          "--kube-version",
          version,
          ...values,
        ),
      );
      const out = await kubectl("apply", "--dry-run=server", "-f", rendered);
      for (const object of [
        "deployment.apps/l5d-proxy-injector",
        "poddisruptionbudget.policy/l5d-proxy-injector",
        "networkpolicy.networking.k8s.io/l5d-proxy-injector",
        "mutatingwebhookconfiguration.admissionregistration.k8s.io/l5d-proxy-injector-webhook-config",
      ]) {
        expect(out).toContain(`${object} created (server dry run)`);
      }
    }
  }, 300_000);

  it("installs, injects a pod through the installed webhook configuration, and uninstalls without a trace", async () => {
    const before = await linkerdState();
    const release = "l5d-injector";
    const port = await freePort();
    // No kubelet: the webhook configuration calls a local webhook by URL, with the certificate the chart generated
    // (for the Service's name and, asked for here, 127.0.0.1).
    await helm(
      "install",
      release,
      join(APP, "chart"),
      "--namespace",
      "linkerd",
      "--set",
      `webhookUrl=https://127.0.0.1:${port}/`,
      "--set",
      "certificate.generate.ipAddresses={127.0.0.1}",
    );
    const deployment = await getJson<{ spec: { template: { spec: { containers: { args: string[] }[] } } } }>(
      "-n",
      "linkerd",
      "deployment",
      "l5d-proxy-injector",
    );
    const secret = await getJson<{ data: Record<string, string> }>(
      "-n",
      "linkerd",
      "secret",
      "l5d-proxy-injector-k8s-tls",
    );
    const files = join(dir, "helm-tls");
    await mkdir(files);
    await writeFile(join(files, "tls.crt"), Buffer.from(secret.data["tls.crt"] ?? "", "base64"));
    await writeFile(join(files, "tls.key"), Buffer.from(secret.data["tls.key"] ?? "", "base64"));
    const values = await kubectl("-n", "linkerd", "get", "cm", "linkerd-config", "-o", "jsonpath={.data.values}");
    await writeFile(join(files, "values"), values);
    await writeFile(
      join(files, "ca-bundle.crt"),
      await kubectl(
        "-n",
        "linkerd",
        "get",
        "cm",
        "linkerd-identity-trust-roots",
        "-o",
        "jsonpath={.data.ca-bundle\\.crt}",
      ),
    );
    // The Deployment's own args, with its mount paths mapped to the files above and its ServiceAccount's token.
    const args = (deployment.spec.template.spec.containers[0]?.args ?? [])
      .filter((a) => !/^--(addr|metrics-addr)=/.test(a))
      .map((a) =>
        a
          .replace("/var/run/linkerd/tls", files)
          .replace("/var/run/linkerd/config", files)
          .replace("/var/run/linkerd/identity/trust-roots", files),
      );
    const sa = await serviceAccountKubeconfig("linkerd", "l5d-proxy-injector");
    const webhook = await startLocalWebhookAt(port, [...args, `--kubeconfig=${sa}`]);

    await annotatedNamespace("shop-helm");
    const pod = await createPod("shop-helm", "web");
    expect(containerNames(pod)).toEqual(["linkerd-init", "linkerd-proxy", "app"]);
    expect(pod.metadata.annotations?.["linkerd.io/created-by"]).toMatch(/^l5d-injector\/webhook /);
    // The review's log line follows its answer by up to one turn of the webhook's event loop.
    await eventually(
      async () => webhook.log(),
      (log) => log.includes('"outcome":"injected"'),
      "the webhook's log line for the review",
      10_000,
    );

    // An upgrade keeps the certificate: the replicas' files and the webhook configuration's CA stay a pair.
    const chart = join(APP, "chart");
    const tlsSecret = () =>
      getJson<{ data: Record<string, string> }>("-n", "linkerd", "secret", "l5d-proxy-injector-k8s-tls");
    const caBundle = async () =>
      Buffer.from(
        (
          await getJson<{ webhooks: { clientConfig: { caBundle: string } }[] }>(
            "mutatingwebhookconfiguration",
            "l5d-proxy-injector-webhook-config",
          )
        ).webhooks[0]?.clientConfig.caBundle ?? "",
        "base64",
      ).toString();
    await helm("upgrade", release, chart, "--namespace", "linkerd", "--reuse-values", "--set", "replicas=3");
    expect((await tlsSecret()).data).toEqual(secret.data);
    expect(containerNames(await createPod("shop-helm", "after-upgrade"))).toContain("linkerd-proxy");
    // A rotation asked for makes a new CA and certificate, and keeps trusting the previous CA: the webhook, still on
    // the previous pair until its volume catches up, keeps answering.
    await helm(
      "upgrade",
      release,
      chart,
      "--namespace",
      "linkerd",
      "--reuse-values",
      "--set",
      "certificate.generate.rotation=test",
    );
    const rotated = (await tlsSecret()).data;
    expect(rotated["ca.crt"]).not.toBe(secret.data["ca.crt"]);
    expect(rotated["ca-previous.crt"]).toBe(secret.data["ca.crt"]);
    const pem = (b64: string | undefined) => Buffer.from(b64 ?? "", "base64").toString();
    expect(await caBundle()).toBe(pem(rotated["ca.crt"]) + pem(secret.data["ca.crt"]));
    expect(containerNames(await createPod("shop-helm", "after-rotation"))).toContain("linkerd-proxy");

    await helm("uninstall", release, "--namespace", "linkerd");
    // Nothing of ours: no object with the release's label in any kind we make, none of the cluster-wide ones, no
    // release record.
    const left = await kubectl(
      "get",
      "deployment,replicaset,service,serviceaccount,secret,configmap,networkpolicy,poddisruptionbudget,role,rolebinding",
      "-n",
      "linkerd",
      "-l",
      `app.kubernetes.io/instance=${release}`,
      "-o",
      "name",
    );
    expect(left).toBe("");
    expect(
      await kubectl(
        "get",
        "clusterrole,clusterrolebinding,mutatingwebhookconfiguration",
        "-l",
        `app.kubernetes.io/instance=${release}`,
        "-o",
        "name",
      ),
    ).toBe("");
    expect(await kubectl("get", "secret", "-n", "linkerd", "-l", `owner=helm,name=${release}`, "-o", "name")).toBe("");
    expect(
      await kubectl("get", "secret", "-n", "linkerd", "l5d-proxy-injector-k8s-tls", "--ignore-not-found", "-o", "name"),
    ).toBe("");
    // Replicas' pods are deleted by the garbage collector, after their ReplicaSet.
    await eventually(
      () => kubectl("get", "pods", "-n", "linkerd", "-l", "app.kubernetes.io/name=l5d-proxy-injector", "-o", "name"),
      (s) => s === "",
      "the chart's pods to be collected",
    );
    expect(await linkerdState()).toEqual(before);

    // With no injector answering (Linkerd's own configuration is there, its Service unreachable: failurePolicy
    // Ignore), pods are admitted without a proxy; the README's commands find them, and only them.
    const missed = await createPod("shop-helm", "missed");
    expect(containerNames(missed)).toEqual(["app"]);
    await applyText(`apiVersion: v1
kind: Pod
metadata: {name: asked, namespace: default, annotations: {linkerd.io/inject: enabled}}
spec:
  containers: [{name: app, image: ghcr.io/example/app:1}]
`);
    const readme = await readFile(join(APP, "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("### Pods that missed injection"));
    const commands = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].slice(0, 2).map((m) => m[1] as string);
    expect(commands).toHaveLength(2);
    const found = commands.map((command) =>
      spawnSync("bash", ["-c", command], { env: { ...process.env, KUBECONFIG: kubeconfig }, encoding: "utf8" })
        .stdout.trim()
        .split("\n")
        .map((line) => line.split(/\s+/).slice(0, 2).join("/")),
    );
    expect(found).toEqual([["shop-helm/missed"], ["default/asked"]]);
  }, 300_000);
});

/** The built webhook as a local process on `port`, with the chart's args but files of the test's own. */
async function startLocalWebhookAt(port: number, args: string[]): Promise<{ log: () => string }> {
  const admin = await freePort();
  let log = "";
  const child = spawn(
    process.execPath,
    [join(APP, "dist", "main.js"), ...args, `--addr=127.0.0.1:${port}`, `--metrics-addr=127.0.0.1:${admin}`],
    { stdio: ["ignore", "ignore", "pipe"], detached: true },
  );
  processes.push(child);
  child.stderr?.on("data", (d: Buffer) => (log += d.toString()));
  await eventually(
    () => fetch(`http://127.0.0.1:${admin}/ready`).then((r) => r.status),
    (s) => s === 200,
    `the webhook to be ready\n${log}`,
  );
  return { log: () => log };
}

describe("deploy/ (kustomize)", () => {
  it("kubectl delete -k removes the webhook and never the linkerd namespace or Linkerd's objects", async () => {
    const before = await linkerdState();
    await kubectl("apply", "-k", join(APP, "deploy", "kubernetes-1.20"));
    expect(await kubectl("get", "deployment", "-n", "linkerd", "l5d-proxy-injector", "-o", "name")).toContain(
      "l5d-proxy-injector",
    );
    // The 1.21+ kustomization on this 1.20 server: its policy/v1 PodDisruptionBudget is unknown here, so kubectl
    // reports that one and deletes the rest.
    const deleted = spawnSync(
      "kubectl",
      ["--kubeconfig", kubeconfig, "delete", "-k", join(APP, "deploy"), "--ignore-not-found"],
      { encoding: "utf8" },
    );
    expect(deleted.stdout).toContain('deployment.apps "l5d-proxy-injector" deleted');
    expect(deleted.stdout).not.toMatch(/^namespace/m);
    await kubectl("delete", "-k", join(APP, "deploy", "kubernetes-1.20"), "--ignore-not-found");
    // Pods and ReplicaSets go after their Deployment, by the garbage collector.
    await eventually(
      () =>
        kubectl(
          "get",
          "all,mutatingwebhookconfiguration,clusterrole",
          "-A",
          "-l",
          "app.kubernetes.io/name=l5d-proxy-injector",
          "-o",
          "name",
        ),
      (left) => left === "",
      "every object of deploy/ to be gone",
    );
    expect(await linkerdState()).toEqual(before);
  }, 300_000);
});

// ---- the image, as Linkerd's proxy-injector ----

function imageUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return "needs root (chroot, mount and network namespaces)";
  for (const tool of ["buildah", "unshare", "chroot", "ip"]) {
    if (spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0) return `needs ${tool}`;
  }
  if (spawnSync("buildah", [...BUILDAH, "inspect", "--type", "image", IMAGE]).status !== 0) {
    return `image ${IMAGE} not built (run \`pnpm image\`)`;
  }
  return undefined;
}

const skipImage = imageUnavailable();
if (skipImage !== undefined)
  process.stderr.write(`install.cluster.test: skipping the image smoke test: ${skipImage}\n`);

/** `path` inside the root filesystem `root`, symlinks resolved within it (/var/run → /run must not leave it). */
function inRoot(root: string, path: string): string {
  let resolved = root;
  const parts = path.split("/").filter((p) => p !== "");
  for (let i = 0; i < parts.length; i++) {
    const next = join(resolved, parts[i] as string);
    let link: string | undefined;
    try {
      link = lstatSync(next).isSymbolicLink() ? readlinkSync(next) : undefined;
    } catch {
      link = undefined;
    }
    if (link === undefined) {
      resolved = next;
      continue;
    }
    const rest = parts.slice(i + 1).join("/");
    return inRoot(root, isAbsolute(link) ? `${link}/${rest}` : `${resolved.slice(root.length)}/${link}/${rest}`);
  }
  return resolved;
}

/** A byte stream from `listen` (a TCP port on 127.0.0.1 or a unix socket) to `target`. */
function forward(listen: { port?: number; path?: string }, target: { port?: number; path?: string }): Promise<Server> {
  const server = createServer((socket) => {
    const upstream = target.path !== undefined ? connect(target.path) : connect(target.port ?? 0, "127.0.0.1");
    socket.pipe(upstream).pipe(socket);
    socket.on("error", () => upstream.destroy());
    upstream.on("error", () => socket.destroy());
  });
  servers.push(server);
  return new Promise((resolve) => {
    if (listen.path !== undefined) server.listen(listen.path, () => resolve(server));
    else server.listen(listen.port ?? 0, "127.0.0.1", () => resolve(server));
  });
}

// The same forwarding, run by the host's node inside the pod's network namespace (outside its root filesystem).
const POD_SIDE_FORWARDER = `
const net = require("node:net");
const [webhookSocket, adminSocket, apiSocket] = process.argv.slice(1);
const pipe = (listen, dial) => net.createServer((s) => { const u = dial(); s.pipe(u).pipe(s); s.on("error", () => u.destroy()); u.on("error", () => s.destroy()); }).listen(listen);
pipe(webhookSocket, () => net.connect(8443, "127.0.0.1"));
pipe(adminSocket, () => net.connect(9995, "127.0.0.1"));
pipe({ host: "127.0.0.1", port: 6443 }, () => net.connect(apiSocket));
`;

describe.skipIf(skipImage !== undefined)("the image, as Linkerd's proxy-injector", () => {
  it("takes over with kubectl set image: Linkerd's args and mounts, its uid, a read-only root; and gives back", async () => {
    const original = await getJson<{ spec: { template: unknown } }>(
      "-n",
      "linkerd",
      "deployment",
      "linkerd-proxy-injector",
    );
    await kubectl("-n", "linkerd", "set", "image", "deploy/linkerd-proxy-injector", `proxy-injector=${IMAGE}`);
    interface Container {
      name: string;
      image: string;
      args: string[];
      volumeMounts: { name: string; mountPath: string }[];
      securityContext: { runAsUser: number; readOnlyRootFilesystem: boolean };
    }
    interface Volume {
      name: string;
      configMap?: { name: string };
      secret?: { secretName: string };
      projected?: unknown;
    }
    const taken = await getJson<{
      spec: { template: { spec: { containers: Container[]; volumes: Volume[]; serviceAccountName: string } } };
    }>("-n", "linkerd", "deployment", "linkerd-proxy-injector");
    const pod = taken.spec.template.spec;
    const container = pod.containers.find((c) => c.name === "proxy-injector") as Container;
    expect(container.image).toBe(IMAGE);
    expect(container.args[0]).toBe("proxy-injector");

    // The serving certificate: Linkerd's Secret gets one for 127.0.0.1 (the test's stand-in for the Service) and
    // Linkerd's webhook configuration calls that address, as a Service would route it.
    const serving = await makeServingCertificate(dir, {
      prefix: "takeover-",
      hosts: ["127.0.0.1", "linkerd-proxy-injector.linkerd.svc"],
    });
    await kubectl(
      "-n",
      "linkerd",
      "create",
      "secret",
      "tls",
      "linkerd-proxy-injector-k8s-tls",
      "--cert",
      serving.certFile,
      "--key",
      serving.keyFile,
      "--dry-run=client",
      "-o",
      "yaml",
    ).then((yaml) => applyText(yaml));
    const hostPort = await freePort();
    await kubectl(
      "patch",
      "mutatingwebhookconfiguration",
      "linkerd-proxy-injector-webhook-config",
      "--type",
      "json",
      "-p",
      JSON.stringify([
        { op: "remove", path: "/webhooks/0/clientConfig/service" },
        { op: "add", path: "/webhooks/0/clientConfig/url", value: `https://127.0.0.1:${hostPort}/` },
        {
          op: "replace",
          path: "/webhooks/0/clientConfig/caBundle",
          value: Buffer.from(serving.caPem).toString("base64"),
        },
      ]),
    );

    // The image's root filesystem, and its configuration (entrypoint, environment).
    buildContainer = (await run("buildah", [...BUILDAH, "from", "--pull-never", IMAGE])).stdout.trim();
    const root = (await run("buildah", [...BUILDAH, "mount", buildContainer])).stdout.trim();
    const config = (
      JSON.parse(
        (await run("buildah", [...BUILDAH, "inspect", "--type", "image", IMAGE], { maxBuffer: 16 * 1024 * 1024 }))
          .stdout,
      ) as {
        OCIv1: { config: { Entrypoint: string[]; Env: string[]; User: string } };
      }
    ).OCIv1.config;
    expect(config.User).toBe("65532:65532");
    expect(config.Env.find((e) => e.startsWith("NODE_VERSION="))).toMatch(/^NODE_VERSION=24\./);
    try {
      // Each volume the container mounts, filled as the kubelet would from the cluster's objects.
      const volumes = join(dir, "volumes");
      const mounts: { source: string; target: string }[] = [];
      for (const mount of container.volumeMounts) {
        const volume = pod.volumes.find((v) => v.name === mount.name) as Volume;
        const source = join(volumes, mount.name);
        await mkdir(source, { recursive: true });
        let data: Record<string, string> = {};
        if (volume.configMap !== undefined) {
          data = (await getJson<{ data: Record<string, string> }>("-n", "linkerd", "configmap", volume.configMap.name))
            .data;
        } else if (volume.secret !== undefined) {
          const secret = await getJson<{ data: Record<string, string> }>(
            "-n",
            "linkerd",
            "secret",
            volume.secret.secretName,
          );
          data = Object.fromEntries(
            Object.entries(secret.data).map(([k, v]) => [k, Buffer.from(v, "base64").toString()]),
          );
        } else if (volume.projected !== undefined) {
          // kube-api-access: the ServiceAccount's token, the cluster CA, the namespace.
          data = {
            token: await serviceAccountToken("linkerd", pod.serviceAccountName),
            "ca.crt": await readFile(join(dir, "cp", "ca.crt"), "utf8"),
            namespace: "linkerd",
          };
        }
        for (const [key, value] of Object.entries(data)) {
          await writeFile(join(source, key), value);
          await chmod(join(source, key), 0o644);
        }
        const target = inRoot(root, mount.mountPath);
        await mkdir(target, { recursive: true });
        mounts.push({ source, target });
      }
      for (const d of ["proc", "dev"]) await mkdir(inRoot(root, d), { recursive: true });

      // Forwarding between the host (API server, the webhook configuration's URL) and the pod's own loopback.
      const sockets = {
        webhook: join(dir, "webhook.sock"),
        admin: join(dir, "admin.sock"),
        api: join(dir, "api.sock"),
      };
      await forward({ port: hostPort }, { path: sockets.webhook });
      await forward({ path: sockets.api }, { port: apiPort });
      const adminPort = await freePort();
      await forward({ port: adminPort }, { path: sockets.admin });

      const q = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
      const script = [
        "set -e",
        "ip link set lo up",
        "mount --make-rprivate /",
        // The root first (a bind of itself, read-only), then the volumes, /proc and /dev on top of it.
        `mount --bind ${q(root)} ${q(root)} && mount -o remount,bind,ro ${q(root)}`,
        ...mounts.map((m) => `mount --bind ${q(m.source)} ${q(m.target)} && mount -o remount,bind,ro ${q(m.target)}`),
        `mount -t proc proc ${q(inRoot(root, "proc"))}`,
        `mount --rbind /dev ${q(inRoot(root, "dev"))}`,
        `${q(process.execPath)} -e ${q(POD_SIDE_FORWARDER)} ${q(sockets.webhook)} ${q(sockets.admin)} ${q(sockets.api)} &`,
        `exec chroot --userspec=${container.securityContext.runAsUser}:${container.securityContext.runAsUser} ${q(root)} ${[...config.Entrypoint, ...container.args].map(q).join(" ")}`,
      ].join("\n");
      const env = Object.fromEntries(config.Env.map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
      let log = "";
      const child = spawn("unshare", ["--mount", "--net", "--fork", "sh", "-c", script], {
        env: {
          ...env,
          KUBERNETES_SERVICE_HOST: "127.0.0.1",
          KUBERNETES_SERVICE_PORT: "6443",
          HOSTNAME: "linkerd-proxy-injector-0",
        },
        stdio: ["ignore", "pipe", "pipe"],
        detached: true,
      });
      processes.push(child);
      child.stdout?.on("data", (d: Buffer) => (log += d.toString()));
      child.stderr?.on("data", (d: Buffer) => (log += d.toString()));
      await eventually(
        () => fetch(`http://127.0.0.1:${adminPort}/ready`).then((r) => r.status),
        (s) => s === 200,
        "the image's webhook to be ready",
        90_000,
      ).catch((error: unknown) => {
        throw new Error(`${String(error)}\nwebhook output:\n${log}`);
      });
      expect(log).toContain("connected to the Kubernetes API");
      // The image's process is Linkerd's uid, not root.
      const uids = spawnSync("sh", ["-c", `ps -o uid= -o args= -e | grep '[/]app/dist/main.js proxy-injector'`], {
        encoding: "utf8",
      }).stdout;
      expect(uids.trim().split(/\s+/)[0]).toBe(String(container.securityContext.runAsUser));

      await annotatedNamespace("shop-takeover");
      const injected = await createPod("shop-takeover", "web");
      expect(containerNames(injected)).toEqual(["linkerd-init", "linkerd-proxy", "app"]);
      expect(injected.metadata.annotations?.["linkerd.io/created-by"]).toMatch(/^l5d-injector\/webhook /);
      const metrics = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
      expect(metrics).toContain(
        'proxy_inject_linkerd_version_skew{implemented="edge-26.8.3",configured="edge-26.8.3"} 0',
      );
      expect(metrics).toMatch(/proxy_inject_admission_responses_total\{owner_kind="pod",namespace="shop-takeover"/);
      expect(log).not.toMatch(/"level":"(error|fatal)"|level=(error|fatal)/);
    } finally {
      for (const child of processes.splice(0))
        if (child.pid !== undefined && child.exitCode === null) process.kill(-child.pid, "SIGKILL");
      await removeBuildContainer();
    }

    // Giving back is the same command with Linkerd's image: the pod template is Linkerd's again.
    await kubectl("-n", "linkerd", "set", "image", "deploy/linkerd-proxy-injector", `proxy-injector=${LINKERD_IMAGE}`);
    const back = await getJson<{ spec: { template: unknown } }>(
      "-n",
      "linkerd",
      "deployment",
      "linkerd-proxy-injector",
    );
    expect(back.spec.template).toEqual(original.spec.template);
  }, 300_000);
});
