/**
 * Once per run: a cluster (the one in $KUBECONFIG, or a local control plane started here), certificates, Linkerd
 * values, and the webhook's ServiceAccount token bound to the RBAC of apps/webhook/deploy. Processes that need to
 * be stopped and restarted by tests (the webhook, the admission recorder) are started by the test file; the
 * teardown stops anything they recorded, even if the test worker died.
 */
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { makeCa, makeTrustAnchor, signServingCert } from "./support/certs.js";
import { readCleanupEntries, recordForCleanup, type E2eContext, type ServerVersion } from "./support/context.js";
import { readDeployObjects, rbacObjects, webhookServiceAccount } from "./support/deploy.js";
import type { KubeObject } from "./support/kube-types.js";
import { Kubectl } from "./support/kubectl.js";
import { CLI_MAIN, CONTROL_PLANE_TOOLS, WEBHOOK_MAIN, WORK_DIR } from "./support/paths.js";
import { waitFor } from "./support/poll.js";
import { isAlive, runOk, stopPid } from "./support/process.js";

const LINKERD_NAMESPACE = "linkerd";

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  for (const file of [WEBHOOK_MAIN, CLI_MAIN]) {
    if (!existsSync(file)) throw new Error(`ERR_E2E_NOT_BUILT: ${file} is missing; run \`pnpm build\` first`);
  }
  const cleanupFile = join(WORK_DIR, "cleanup.jsonl");
  const clusterDir = join(WORK_DIR, "cluster");
  const external = process.env["KUBECONFIG"];
  const ownCluster = external === undefined || external === "";

  const stopProcesses = async () => {
    for (const entry of readCleanupEntries(cleanupFile)) {
      if ("pid" in entry && isOurs(entry.pid)) await stopPid(entry.pid, 5000);
    }
  };
  // Runs share the work folder: a second one would stop the first one's processes and control plane.
  const lock = join(WORK_DIR, "run.pid");
  const holder = existsSync(lock) ? Number(readFileSync(lock, "utf8")) : 0;
  if (holder > 0 && holder !== process.pid && isAlive(holder) && readCmdline(holder).includes("vitest")) {
    throw new Error(`ERR_E2E_BUSY: another end-to-end run (pid ${holder}) is using ${WORK_DIR}`);
  }
  // A run that was killed before its teardown leaves processes and a control plane behind: stop them before the
  // work folder (and the pid files in it) goes.
  await stopProcesses();
  if (existsSync(join(clusterDir, "apiserver.pid"))) {
    await runOk(join(CONTROL_PLANE_TOOLS, "down"), [clusterDir], { timeoutMs: 60_000 });
  }
  await rm(WORK_DIR, { recursive: true, force: true });
  await mkdir(WORK_DIR, { recursive: true });
  await writeFile(lock, String(process.pid));

  const teardown = async () => {
    try {
      await release();
    } finally {
      rmSync(lock, { force: true });
    }
  };
  const release = async () => {
    // Processes first: a webhook left running would keep answering a cluster that is about to go away.
    await stopProcesses();
    const entries = readCleanupEntries(cleanupFile);
    if (ownCluster) {
      await runOk(join(CONTROL_PLANE_TOOLS, "down"), [clusterDir], { timeoutMs: 60_000 }).catch((error: unknown) => {
        console.error(`e2e: stopping the local control plane failed: ${String(error)}`);
      });
      return;
    }
    // Someone else's cluster: remove what this run created there (the test file removes the webhook
    // configurations itself, but it may not have got that far, and one with failurePolicy Fail pointing at a port
    // nobody listens on would block every pod create). deploy/'s ServiceAccount and RBAC stay: they may predate us.
    const kubectl = new Kubectl(join(WORK_DIR, "admin.kubeconfig"));
    for (const entry of entries) {
      if ("resource" in entry) {
        await kubectl.delete(entry.resource, entry.name, entry.namespace).catch((error: unknown) => {
          console.error(`e2e: could not delete ${entry.resource}/${entry.name}: ${String(error)}`);
        });
      }
    }
  };

  try {
    const context = await prepare(ownCluster, clusterDir, cleanupFile);
    project.provide("e2e", context);
  } catch (error) {
    await teardown();
    throw error;
  }
  return teardown;
}

async function prepare(ownCluster: boolean, clusterDir: string, cleanupFile: string): Promise<E2eContext> {
  let kubeconfig: string;
  if (ownCluster) {
    // The first `up` on a machine builds the binaries (minutes); later ones start in seconds.
    await runOk(join(CONTROL_PLANE_TOOLS, "up"), [clusterDir], { timeoutMs: 20 * 60_000 });
    kubeconfig = join(clusterDir, "kubeconfig");
  } else {
    // $KUBECONFIG may list several files: flatten it into one the suite (and the webhook's config) can copy from.
    kubeconfig = join(WORK_DIR, "admin.kubeconfig");
    await writeFile(
      kubeconfig,
      await runOk("kubectl", ["config", "view", "--raw", "--flatten"], { timeoutMs: 30_000 }),
    );
  }
  const kubectl = new Kubectl(kubeconfig);
  const server = await readServerVersion(kubectl);

  const runId = randomBytes(3).toString("hex");
  const webhookHost = process.env["E2E_WEBHOOK_HOST"] || "127.0.0.1";
  const listenHost = process.env["E2E_WEBHOOK_LISTEN"] || webhookHost;

  // The serving certificate: signed by the cluster CA when the suite started the cluster (it holds ca.key), else
  // by a throwaway CA. Either way the MutatingWebhookConfiguration's caBundle is that CA.
  const certDir = join(WORK_DIR, "certs");
  await mkdir(certDir, { recursive: true });
  const ca = ownCluster
    ? { certFile: join(clusterDir, "ca.crt"), keyFile: join(clusterDir, "ca.key") }
    : await makeCa(certDir, "e2e-webhook-ca");
  const serving = await signServingCert(certDir, ca, webhookHost, "webhook");
  const caBundle = Buffer.from(await readFile(ca.certFile)).toString("base64");

  // Values as `linkerd install` stores them in ConfigMap linkerd-config (a subset; the rest are the defaults).
  // The trust anchor is generated: v1.20 has no native sidecars, so nothing here asks for a layout; the webhook's
  // own version check has to choose the classic one.
  const trustAnchor = await makeTrustAnchor(certDir);
  const trustRootsFile = join(certDir, "ca-bundle.crt");
  await writeFile(trustRootsFile, trustAnchor);
  const valuesFile = join(WORK_DIR, "values.json");
  await writeFile(
    valuesFile,
    `${JSON.stringify(
      {
        clusterDomain: "cluster.local",
        identityTrustDomain: "cluster.local",
        identityTrustAnchorsPEM: trustAnchor,
        proxy: { logLevel: "warn,linkerd=info,hickory=error", logFormat: "plain" },
      },
      null,
      2,
    )}\n`,
  );

  const deploy = await readDeployObjects();
  const serviceAccount = webhookServiceAccount(deploy);
  await ensureNamespace(kubectl, serviceAccount.namespace);
  await kubectl.apply(rbacObjects(deploy));
  const webhookKubeconfig = await writeServiceAccountKubeconfig(kubectl, serviceAccount, cleanupFile);

  return {
    kubeconfig,
    ownCluster,
    server,
    webhookKubeconfig,
    serviceAccount,
    serving,
    caBundle,
    valuesFile,
    trustRootsFile,
    webhookHost,
    listenHost,
    linkerdNamespace: LINKERD_NAMESPACE,
    runId,
    workDir: WORK_DIR,
    cleanupFile,
  };
}

/**
 * Whether a recorded pid still belongs to a process of this suite: every process it starts has a path under the
 * work folder on its command line. A pid from an earlier run may have been reused by something else since.
 */
function isOurs(pid: number): boolean {
  return isAlive(pid) && readCmdline(pid).includes(WORK_DIR);
}

function readCmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8");
  } catch {
    return "";
  }
}

async function readServerVersion(kubectl: Kubectl): Promise<ServerVersion> {
  const out = await kubectl.json<{ serverVersion?: { gitVersion?: string; major?: string; minor?: string } }>([
    "version",
  ]);
  const v = out.serverVersion ?? {};
  // Managed clusters report minors like "29+": the digits are what count.
  return {
    gitVersion: v.gitVersion ?? "",
    major: Number.parseInt(v.major ?? "0", 10),
    minor: Number.parseInt(v.minor ?? "0", 10),
  };
}

async function ensureNamespace(kubectl: Kubectl, name: string): Promise<void> {
  if ((await kubectl.get("namespace", name)) === undefined) await kubectl.ok(["create", "namespace", name]);
}

/**
 * A kubeconfig that authenticates as the webhook's ServiceAccount, with a long-lived token from a
 * `kubernetes.io/service-account-token` Secret (the token controller fills it in), so that every API call the
 * webhook makes in the tests is checked against deploy/'s RBAC and nothing more.
 */
async function writeServiceAccountKubeconfig(
  kubectl: Kubectl,
  account: { name: string; namespace: string },
  cleanupFile: string,
): Promise<string> {
  const secretName = `${account.name}-e2e-token`;
  recordForCleanup(cleanupFile, { resource: "secret", name: secretName, namespace: account.namespace });
  await kubectl.apply([
    {
      apiVersion: "v1",
      kind: "Secret",
      type: "kubernetes.io/service-account-token",
      metadata: {
        name: secretName,
        namespace: account.namespace,
        annotations: { "kubernetes.io/service-account.name": account.name },
      },
    },
  ]);
  const token = await waitFor(
    `the token controller to fill Secret ${account.namespace}/${secretName}`,
    async () => {
      const secret = await kubectl.get<KubeObject & { data?: { token?: string } }>(
        "secret",
        secretName,
        account.namespace,
      );
      const data = secret?.data?.token;
      return data === undefined || data === "" ? undefined : Buffer.from(data, "base64").toString("utf8");
    },
    { timeoutMs: 30_000 },
  );
  const admin = await kubectl.json<{ clusters: { name: string; cluster: Record<string, unknown> }[] }>([
    "config",
    "view",
    "--raw",
    "--minify",
    "--flatten",
  ]);
  const cluster = admin.clusters[0];
  if (cluster === undefined) throw new Error("ERR_E2E_KUBECONFIG: the admin kubeconfig has no cluster");
  const file = join(WORK_DIR, "webhook.kubeconfig");
  const user = `system:serviceaccount:${account.namespace}:${account.name}`;
  await writeFile(
    file,
    `${JSON.stringify(
      {
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: cluster.name, cluster: cluster.cluster }],
        users: [{ name: user, user: { token } }],
        contexts: [{ name: "webhook", context: { cluster: cluster.name, user } }],
        "current-context": "webhook",
      },
      null,
      2,
    )}\n`,
    { mode: 0o600 },
  );
  return file;
}
