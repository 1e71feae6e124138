/**
 * The webhook and the CLI against a real API server: the built webhook runs as a local process, registered with
 * deploy/'s MutatingWebhookConfiguration (pointed at it by URL) and authenticated as deploy/'s ServiceAccount.
 * Tests run in order in one file: they share the webhook process, and test 7 stops and restarts it.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, expect, inject, it } from "vitest";
import {
  cliInput,
  CREATED_BY,
  injectedParts,
  injectWithCli,
  normalisedSides,
  recordingKey,
} from "./support/both-paths.js";
import { countOccurrences, createNamespace, cronJobApiVersion, waitForEvents, waitForPods } from "./support/cluster.js";
import { recordForCleanup } from "./support/context.js";
import {
  CONFIG_PROBE_LABEL,
  injectorWebhookConfiguration,
  pointAt,
  readDeployObjects,
  type MutatingWebhookConfiguration,
} from "./support/deploy.js";
import type { KubeObject, Pod } from "./support/kube-types.js";
import { Kubectl } from "./support/kubectl.js";
import { KubectlProxy, mapConcurrent } from "./support/kubectl-proxy.js";
import { expectedLayout, layoutOf, linkerdMetadataKeys, ownerLabels, proxyContainer } from "./support/pods.js";
import { waitFor } from "./support/poll.js";
import { sleep } from "./support/process.js";
import { AdmissionRecorder, hostForUrl, RECORD_LABEL, RECORDER_CONFIG_NAME } from "./support/recorder.js";
import { freePort, WebhookProcess, type WebhookPorts } from "./support/webhook.js";
import { cronJob, daemonSet, deployment, fakeNode, job, pod, service, statefulSet } from "./support/workloads.js";
import { parseYamlDocuments } from "./support/yaml.js";

const ctx = inject("e2e");
const kubectl = new Kubectl(ctx.kubeconfig);
const layout = expectedLayout(ctx.server);
const INJECT = "linkerd.io/inject";
const ENABLED = { [INJECT]: "enabled" };
const RUN_LABEL = "e2e.l5d-injector/run";
const logFile = join(ctx.workDir, "webhook.log");

let deployConfig: MutatingWebhookConfiguration;
let ports: WebhookPorts;
let webhookUrl: string;
let webhook: WebhookProcess | undefined;
let recorder: AdmissionRecorder | undefined;
let probeNamespace: string;
/** Namespaces whose pods the recorder sees, by name: test 5 compares every injected pod in them. */
const recordedNamespaces = new Set<string>();
const created = new Map<string, Promise<string>>();

/** `e2e-<run>-<purpose>`, created once per run however many tests ask for it. */
function namespaceFor(purpose: string, annotations: Record<string, string>, options: { record?: boolean } = {}) {
  const name = `e2e-${ctx.runId}-${purpose}`;
  let pending = created.get(name);
  if (pending === undefined) {
    const record = options.record ?? true;
    recordForCleanup(ctx.cleanupFile, { resource: "namespace", name });
    if (record) recordedNamespaces.add(name);
    const labels = { [RUN_LABEL]: ctx.runId, ...(record ? { [RECORD_LABEL]: "true" } : {}) };
    pending = createNamespace(kubectl, ctx.server, name, annotations, labels).then(() => name);
    created.set(name, pending);
  }
  return pending;
}

const enabledNamespace = () => namespaceFor("enabled", ENABLED);

async function registerInjector(failurePolicy?: "Ignore" | "Fail", probe?: string): Promise<void> {
  const change = {
    url: webhookUrl,
    caBundle: ctx.caBundle,
    ...(failurePolicy !== undefined ? { failurePolicy } : {}),
    ...(probe !== undefined ? { probe } : {}),
  };
  await kubectl.apply([pointAt(deployConfig, change)]);
}

let configVersion = 0;

/**
 * Registers the injector and waits until the API server uses this very version of the configuration (it applies
 * changes asynchronously): the version leaves out pods carrying its probe label, so a dry run of such a pod comes
 * back without a proxy once it is in use. With the webhook up, both policies inject: only this tells them apart.
 */
async function registerInjectorAndWait(failurePolicy: "Ignore" | "Fail"): Promise<void> {
  const probe = `v${++configVersion}`;
  await registerInjector(failurePolicy, probe);
  await waitFor(`the API server to use webhook configuration ${probe}`, async () => {
    const result = await dryRunPod(probeNamespace, "config-probe", { [CONFIG_PROBE_LABEL]: probe });
    if (!result.ok) throw new Error(result.error);
    return layoutOf(result.pod) === "none" ? true : undefined;
  });
}

type DryRun = { ok: true; pod: Pod } | { ok: false; error: string };

async function dryRunPod(namespace: string, name: string, labels: Record<string, string> = {}): Promise<DryRun> {
  const manifest = pod(name, namespace);
  const metadata = manifest.metadata as { labels?: Record<string, string> };
  metadata.labels = { ...metadata.labels, ...labels };
  const result = await kubectl.run(["create", "-f", "-", "-o", "json", "--dry-run=server"], {
    input: JSON.stringify(manifest),
  });
  return result.code === 0 ? { ok: true, pod: JSON.parse(result.stdout) as Pod } : { ok: false, error: result.stderr };
}

/** The API server applies webhook configuration changes asynchronously: dry runs show when injection has started. */
async function waitUntilInjecting(namespace: string): Promise<void> {
  await waitFor(
    `the webhook to inject pods in ${namespace}`,
    async () => {
      const result = await dryRunPod(namespace, "probe");
      if (!result.ok) throw new Error(result.error);
      return layoutOf(result.pod) !== "none" ? true : undefined;
    },
    { timeoutMs: 30_000 },
  );
}

beforeAll(async () => {
  deployConfig = injectorWebhookConfiguration(await readDeployObjects());
  const injectorName = deployConfig.metadata.name ?? "";
  // The recorder only sees what the injector will see if it is called first, and configurations are called in
  // the order of their names.
  if (!(RECORDER_CONFIG_NAME < injectorName)) {
    throw new Error(`ERR_E2E_ORDER: "${RECORDER_CONFIG_NAME}" must sort before "${injectorName}"`);
  }
  recorder = await AdmissionRecorder.start(ctx);
  recordForCleanup(ctx.cleanupFile, { resource: "mutatingwebhookconfiguration", name: RECORDER_CONFIG_NAME });
  await kubectl.apply([recorder.webhookConfiguration(ctx.caBundle)]);

  ports = { port: await freePort(ctx.listenHost), metricsPort: await freePort() };
  webhookUrl = `https://${hostForUrl(ctx.webhookHost)}:${ports.port}/`;
  webhook = await WebhookProcess.start(ctx, ports, logFile);
  recordForCleanup(ctx.cleanupFile, { resource: "mutatingwebhookconfiguration", name: injectorName });
  await registerInjector();
  probeNamespace = await namespaceFor("probe", ENABLED, { record: false });
  await waitUntilInjecting(probeNamespace);
});

afterAll(async () => {
  // Configurations first, so that no pod create is sent to a process that is gone. The global teardown repeats
  // this (and deletes the namespaces) on clusters the suite did not start, in case this hook never ran.
  if (deployConfig !== undefined) {
    await kubectl.delete("mutatingwebhookconfiguration", deployConfig.metadata.name ?? "").catch(() => undefined);
  }
  await kubectl.delete("mutatingwebhookconfiguration", RECORDER_CONFIG_NAME).catch(() => undefined);
  await webhook?.stop();
  await recorder?.close();
});

it("injects the pods a Deployment creates in an enabled namespace, labels them with the Deployment, and records an Injected event", async () => {
  const namespace = await enabledNamespace();
  await kubectl.apply([deployment("web", namespace, 2, { ports: [{ containerPort: 8080, name: "http" }] })]);
  const pods = await waitForPods(kubectl, namespace, "app=web", 2);

  for (const p of pods) {
    expect(layoutOf(p)).toBe(layout);
    expect(ownerLabels(p)).toEqual({ "linkerd.io/proxy-deployment": "web" });
    expect(p.metadata.labels).toMatchObject({
      "linkerd.io/control-plane-ns": "linkerd",
      "linkerd.io/workload-ns": namespace,
    });
    expect(p.metadata.annotations?.[CREATED_BY]).toMatch(/^l5d-injector\/webhook /);
  }
  if (layout === "classic") {
    // Below 1.29 the webhook chooses the classic layout itself (nothing in the values asks for it), says so, and
    // the proxy holds the application back until it is ready (spec §3.11).
    expect(proxyContainer(pods[0] as Pod)?.lifecycle?.postStart?.exec?.command).toEqual([
      "/usr/lib/linkerd/linkerd-await",
      "--timeout=2m",
      "--port=4191",
    ]);
    const said = (await (webhook as WebhookProcess).logRecords()).map((r) => String(r["msg"]));
    expect(said.some((msg) => /classic/i.test(msg) && msg.includes(ctx.server.gitVersion))).toBe(true);
  }

  // One occurrence per pod, whether written as two Events or as one whose count was raised (the ServiceAccount's
  // RBAC has to allow whichever the webhook does).
  const events = await waitForEvents(kubectl, namespace, { kind: "Deployment", name: "web" }, "Injected", 2);
  expect(countOccurrences(events)).toBe(2);
  for (const event of events) {
    expect(event.message).toBe("Linkerd sidecar proxy injected");
    expect(event.source?.component).toBe("linkerd-proxy-injector");
  }
});

it("leaves a workload annotated linkerd.io/inject: disabled alone and says why in an InjectionSkipped event", async () => {
  const namespace = await enabledNamespace();
  const disabled = { "linkerd.io/inject": "disabled" };
  await kubectl.apply([deployment("opted-out", namespace, 1, { annotations: disabled })]);
  const [skipped] = await waitForPods(kubectl, namespace, "app=opted-out", 1);

  expect(layoutOf(skipped as Pod)).toBe("none");
  expect(linkerdMetadataKeys(skipped as Pod)).toEqual(["linkerd.io/inject"]);
  const [event] = await waitForEvents(
    kubectl,
    namespace,
    { kind: "Deployment", name: "opted-out" },
    "InjectionSkipped",
  );
  expect(event?.message).toBe(
    'Linkerd sidecar proxy injection skipped: pod has the annotation "linkerd.io/inject:disabled"',
  );

  // A bare pod has no parent to hold an event: the reason comes back as an admission warning, which kubectl prints.
  const bare = await kubectl.run(["create", "-f", "-"], {
    input: JSON.stringify(pod("opted-out-bare", namespace, { annotations: disabled })),
  });
  expect(bare.code).toBe(0);
  expect(bare.stderr).toMatch(/^Warning: .*not injected: pod has the annotation "linkerd\.io\/inject:disabled"$/m);
});

it("injects the pods of a rollout restart run right after annotating their namespace (same second, no pause), and leaves the pods that existed before as they are", async () => {
  const namespace = await namespaceFor("annotated-later", {});
  await kubectl.apply([deployment("legacy", namespace, 1)]);
  const [before] = (await waitForPods(kubectl, namespace, "app=legacy", 1)) as [Pod];
  expect(layoutOf(before)).toBe("none");

  // The way a script runs it: annotate, then restart at once, in the same second. No pause: the webhook must see
  // the annotation for the new pods however late its namespace watch delivers it (apps/webhook/src/kube.ts).
  await kubectl.ok(["annotate", "namespace", namespace, "linkerd.io/inject=enabled"]);
  await kubectl.ok(["-n", namespace, "rollout", "restart", "deployment/legacy"]);
  // Admission happens once, at creation: annotating the namespace changes nothing for pods that already exist.
  const still = await kubectl.get<Pod>("pod", before.metadata.name ?? "", namespace);
  expect(still?.metadata.uid).toBe(before.metadata.uid);
  expect(layoutOf(still as Pod)).toBe("none");

  const fresh = await waitFor("a pod of the restarted Deployment", async () => {
    const pods = await kubectl.list<Pod>("pods", namespace, "app=legacy");
    const created = pods.filter((p) => p.metadata.uid !== before.metadata.uid);
    return created.length > 0 ? created : undefined;
  });
  for (const p of fresh) {
    expect(layoutOf(p)).toBe(layout);
    expect(ownerLabels(p)).toEqual({ "linkerd.io/proxy-deployment": "legacy" });
  }
});

it("injects the pods of StatefulSets, DaemonSets, Jobs, CronJobs and bare Pods with the right owner label, and annotates a Service's opaque ports", async () => {
  const namespace = await namespaceFor("kinds", ENABLED);
  if ((await kubectl.list<KubeObject>("nodes")).length === 0) {
    // No kubelet, so no Node: a DaemonSet would create no pod. A Node object is all its controller needs. New Nodes
    // carry the not-ready taint until a kubelet reports in; removing it stands in for that.
    const nodeName = `e2e-${ctx.runId}-node`;
    recordForCleanup(ctx.cleanupFile, { resource: "node", name: nodeName });
    await kubectl.apply([fakeNode(nodeName)]);
    await kubectl.run(["taint", "node", nodeName, "node.kubernetes.io/not-ready:NoSchedule-"]);
  }
  const cronApi = await cronJobApiVersion(kubectl);
  await kubectl.apply([
    statefulSet("db", namespace),
    daemonSet("agent", namespace),
    job("batch", namespace),
    cronJob("nightly", namespace, cronApi),
  ]);
  // The Job a CronJob would create, as `kubectl create job --from=cronjob/nightly` makes it (current kubectl only
  // does that for batch/v1 CronJobs, and v1.20 serves batch/v1beta1: "unknown object type *v1beta1.CronJob").
  const cron = await kubectl.get<KubeObject>(`cronjobs.${cronApi.split("/")[1]}.batch`, "nightly", namespace);
  await kubectl.apply([
    job("nightly-manual", namespace, {
      apiVersion: cronApi,
      kind: "CronJob",
      name: "nightly",
      uid: cron?.metadata.uid ?? "",
    }),
  ]);
  await kubectl.create(pod("bare", namespace));
  const svc = await kubectl.create<KubeObject>(
    service("mysql", namespace, [
      { name: "mysql", port: 3306 },
      { name: "http", port: 8080 },
    ]),
  );
  // Spec §6.4: the default opaque ports the Service exposes, written as its annotation.
  expect(svc.metadata.annotations?.["config.linkerd.io/opaque-ports"]).toBe("3306");

  const cases: { selector: string; owner: Record<string, string>; parent?: { kind: string; name: string } }[] = [
    {
      selector: "app=db",
      owner: { "linkerd.io/proxy-statefulset": "db" },
      parent: { kind: "StatefulSet", name: "db" },
    },
    {
      selector: "app=agent",
      owner: { "linkerd.io/proxy-daemonset": "agent" },
      parent: { kind: "DaemonSet", name: "agent" },
    },
    { selector: "job-name=batch", owner: { "linkerd.io/proxy-job": "batch" }, parent: { kind: "Job", name: "batch" } },
    // Spec §2.1/§6.3: a Job with a CronJob owner resolves to the CronJob, a kind with no owner label.
    { selector: "job-name=nightly-manual", owner: {}, parent: { kind: "CronJob", name: "nightly" } },
    // A bare pod is its own owner (kind pod): no owner label and no parent for an event.
    { selector: "app=bare", owner: {} },
  ];
  for (const c of cases) {
    const [p] = (await waitForPods(kubectl, namespace, c.selector, 1)) as [Pod];
    expect({ pod: c.selector, layout: layoutOf(p) }).toEqual({ pod: c.selector, layout });
    expect({ pod: c.selector, owner: ownerLabels(p) }).toEqual({ pod: c.selector, owner: c.owner });
    expect(p.metadata.labels?.["linkerd.io/workload-ns"]).toBe(namespace);
    if (c.parent !== undefined) {
      const [event] = await waitForEvents(kubectl, namespace, c.parent, "Injected");
      expect(event?.message).toBe("Linkerd sidecar proxy injected");
    }
  }
});

it("gives, for every pod the webhook injected, the pod the CLI's inject --manual makes of what the API server sent", async () => {
  // Cases of its own, so that it stands alone and covers what the others do not: proxy settings inherited from the
  // namespace, pod-level overrides, an existing init container, opaque and other ports.
  const namespace = await namespaceFor("both-paths", {
    ...ENABLED,
    "config.linkerd.io/proxy-log-level": "debug",
    "config.linkerd.io/skip-outbound-ports": "4222",
  });
  await kubectl.apply([
    deployment("rich", namespace, 1, {
      annotations: { "config.linkerd.io/proxy-cpu-request": "100m", "config.linkerd.io/proxy-memory-limit": "64Mi" },
      ports: [
        { containerPort: 3306, name: "mysql" },
        { containerPort: 8080, name: "http" },
      ],
      initContainers: [{ name: "setup", image: "registry.k8s.io/pause:3.9" }],
    }),
  ]);
  await kubectl.create(pod("rich-bare", namespace, { ports: [{ containerPort: 6379 }, { containerPort: 11211 }] }));
  await waitForPods(kubectl, namespace, "app=rich", 1);

  const injected: Pod[] = [];
  for (const ns of recordedNamespaces) {
    injected.push(...(await kubectl.list<Pod>("pods", ns)).filter((p) => layoutOf(p) !== "none"));
  }
  expect(injected.length).toBeGreaterThanOrEqual(2);

  const recordings = new Map<string, Pod[]>();
  for (const r of recorder?.recorded ?? []) {
    const key = recordingKey(r.namespace, r.object);
    recordings.set(key, [...(recordings.get(key) ?? []), r.object]);
  }
  const namespaceAnnotations = new Map<string, Record<string, string>>();
  let compared = 0;
  for (const stored of injected) {
    const ns = stored.metadata.namespace ?? "";
    const where = `${ns}/${stored.metadata.name ?? ""}`;
    if (!namespaceAnnotations.has(ns)) {
      namespaceAnnotations.set(ns, (await kubectl.get<KubeObject>("namespace", ns))?.metadata.annotations ?? {});
    }
    // Pods of one ReplicaSet are identical before they are named: any of their recordings is the input.
    const candidates = recordings.get(recordingKey(ns, stored)) ?? [];
    expect.soft(candidates.length, `a recorded admission request for ${where}`).toBeGreaterThan(0);
    const input = candidates.at(-1);
    if (input === undefined) continue;
    // The recorder runs before the injector; a recording with a proxy in it would mean it ran after, and the CLI's
    // uninject pass would hide that.
    expect.soft(layoutOf(input), `${where} as the API server sent it`).toBe("none");

    const given = cliInput(input, ns, namespaceAnnotations.get(ns) ?? {});
    const cli = await injectWithCli(ctx, given, `${ns}.${stored.metadata.name ?? ""}`);
    const fromWebhook = injectedParts(stored);
    const fromCli = injectedParts(cli);
    // created-by names the tool that injected and its version (spec §2.1): it differs between the paths by design.
    expect.soft(fromWebhook.annotations[CREATED_BY], where).toMatch(/^l5d-injector\/webhook \S+$/);
    expect.soft(fromCli.annotations[CREATED_BY], where).toMatch(/\/cli \S+$/);
    delete fromWebhook.annotations[CREATED_BY];
    delete fromCli.annotations[CREATED_BY];
    // The owner label comes from the webhook's owner look-ups (spec §6.3), checked by the tests above; the CLI is
    // given a bare Pod, which has none.
    expect.soft(ownerLabels(cli), where).toEqual({});
    for (const key of Object.keys(ownerLabels(stored))) delete fromWebhook.labels[key];
    // `linkerd.io/inject` is the opt-in, not an output: the webhook copies it from the namespace (spec §1.7), and
    // the CLI's uninject pass drops it from its input (spec §2.3, §5.3).
    expect.soft(fromWebhook.annotations[INJECT], where).toBe(given.metadata.annotations?.[INJECT]);
    delete fromWebhook.annotations[INJECT];
    delete fromCli.annotations[INJECT];

    const [webhookSide, cliSide] = normalisedSides(fromWebhook, fromCli);
    expect
      .soft(webhookSide, `${where}: stored by the API server (received) vs the CLI's output (expected)`)
      .toEqual(cliSide);
    compared++;
  }
  expect(compared).toBe(injected.length);
  console.log(`both paths: compared ${compared} injected pods in ${recordedNamespaces.size} namespaces`);
});

it("shows the injected pod in kubectl create --dry-run=server -o yaml, without storing it", async () => {
  const namespace = await enabledNamespace();
  const result = await kubectl.run(["create", "--dry-run=server", "-o", "yaml", "-f", "-"], {
    input: JSON.stringify(pod("preview", namespace)),
  });
  expect(result.code).toBe(0);
  // An injected pod comes with no admission warning from the injector.
  expect(result.stderr).not.toContain("linkerd-proxy-injector");
  const [shown] = parseYamlDocuments(result.stdout) as [Pod];
  expect(layoutOf(shown)).toBe(layout);
  expect(shown.metadata.annotations?.[CREATED_BY]).toMatch(/^l5d-injector\/webhook /);
  expect(shown.metadata.labels?.["linkerd.io/workload-ns"]).toBe(namespace);
  expect(await kubectl.get<Pod>("pod", "preview", namespace)).toBeUndefined();
});

it("admits pods without a proxy under failurePolicy Ignore and rejects them, naming the webhook, under Fail while the webhook is down", async () => {
  const namespace = await enabledNamespace();
  const webhookName = deployConfig.webhooks[0]?.name ?? "";
  await (webhook as WebhookProcess).stop();
  expect((webhook as WebhookProcess).running).toBe(false);
  try {
    await registerInjector("Ignore");
    await waitFor("the API server to apply failurePolicy Ignore", async () =>
      (await dryRunPod(namespace, "probe")).ok ? true : undefined,
    );
    const admitted = await kubectl.create<Pod>(pod("while-down-ignored", namespace));
    expect(layoutOf(admitted)).toBe("none");
    expect(linkerdMetadataKeys(admitted)).toEqual([]);

    await registerInjector("Fail");
    await waitFor("the API server to apply failurePolicy Fail", async () =>
      (await dryRunPod(namespace, "probe")).ok ? undefined : true,
    );
    const rejected = await kubectl.run(["create", "-f", "-"], {
      input: JSON.stringify(pod("while-down-failed", namespace)),
    });
    expect(rejected.code).not.toBe(0);
    expect(rejected.stderr).toContain(`failed calling webhook "${webhookName}"`);
    expect(await kubectl.get<Pod>("pod", "while-down-failed", namespace)).toBeUndefined();
  } finally {
    // The burst test needs the webhook back, with deploy/'s own policy.
    webhook = await WebhookProcess.start(ctx, ports, logFile);
    await registerInjector();
    await waitUntilInjecting(probeNamespace);
  }
});

it("injects every one of 300 pods created in one burst, 30 at a time, and reports the webhook's memory", async () => {
  // Not recorded: the burst is about the webhook, and the recorder would only add a second call per pod.
  const namespace = await namespaceFor("burst", ENABLED, { record: false });
  const proxy = await KubectlProxy.start(kubectl, ctx.cleanupFile);
  const before = await (webhook as WebhookProcess).memory();
  const count = 300;
  const started = Date.now();
  let results: { name: string; status: number; pod?: Pod; error?: string }[];
  try {
    results = await mapConcurrent(
      Array.from({ length: count }, (_, i) => `burst-${i}`),
      30,
      async (name) => {
        const res = await fetch(`${proxy.url}/api/v1/namespaces/${namespace}/pods`, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify(pod(name, namespace)),
          signal: AbortSignal.timeout(30_000),
        });
        const body = (await res.json()) as Pod & { message?: string };
        return res.status === 201
          ? { name, status: res.status, pod: body }
          : { name, status: res.status, error: body.message ?? "" };
      },
    );
  } finally {
    await proxy.stop();
  }
  const seconds = (Date.now() - started) / 1000;

  expect(results.filter((r) => r.status !== 201)).toEqual([]);
  expect(results.filter((r) => r.pod === undefined || layoutOf(r.pod) !== layout).map((r) => r.name)).toEqual([]);
  const stored = await kubectl.list<Pod>("pods", namespace);
  expect(stored.length).toBe(count);
  expect(stored.filter((p) => layoutOf(p) !== layout).map((p) => p.metadata.name)).toEqual([]);

  // The webhook's own count (spec §6.6): every burst review answered with an injection, none skipped.
  const metrics = await (webhook as WebhookProcess).metrics();
  const answered = sumSamples(metrics, "proxy_inject_admission_responses_total", { namespace, skip: "false" });
  expect(answered).toBe(count);

  const memory = await (webhook as WebhookProcess).memory();
  const report = {
    pods: count,
    concurrency: 30,
    burstSeconds: seconds,
    webhookRssBeforeMiB: round(before.rssKiB / 1024),
    webhookRssMiB: round(memory.rssKiB / 1024),
    webhookPeakRssMiB: round(memory.peakRssKiB / 1024),
    kubernetes: ctx.server.gitVersion,
  };
  await writeFile(join(ctx.workDir, "results.json"), `${JSON.stringify(report, null, 2)}\n`);
  console.log(
    `burst: ${count} pods injected in ${seconds.toFixed(1)} s; webhook RSS ${report.webhookRssBeforeMiB} MiB before, ` +
      `${report.webhookRssMiB} MiB after (peak ${report.webhookPeakRssMiB} MiB); written to ${join(ctx.workDir, "results.json")}`,
  );
  expect(memory.rssKiB).toBeGreaterThan(0);
});

it("refuses no pod of a 300-pod burst without a stated cause and admits none without a proxy, under failurePolicy Fail, while the API server pauses for 3 s and the webhook restarts", async () => {
  const namespace = await namespaceFor("faults", ENABLED, { record: false });
  // An owner for the webhook to look up (and lose track of while the API server is paused): a ReplicaSet of a
  // Deployment scaled to zero. The burst's pods name it as an owner but not as their controller, and their labels
  // do not match its selector, so neither its controller nor the garbage collector touches them.
  await kubectl.apply([deployment("faults-owner", namespace, 0)]);
  const replicaSet = await waitFor(
    "the ReplicaSet of faults-owner",
    async () => (await kubectl.list<KubeObject>("replicasets", namespace, "app=faults-owner"))[0],
  );
  const ownerReferences = [
    {
      apiVersion: "apps/v1",
      kind: "ReplicaSet",
      name: replicaSet.metadata.name ?? "",
      uid: replicaSet.metadata.uid ?? "",
    },
  ];
  // Only a cluster this suite started may be paused: its kube-apiserver's pid is in the control plane's folder.
  const apiServerPid = ctx.ownCluster
    ? Number(await readFile(join(ctx.workDir, "cluster", "apiserver.pid"), "utf8"))
    : undefined;
  if (apiServerPid === undefined) console.warn("faults: not the suite's own cluster, so the API server is not paused");

  await registerInjectorAndWait("Fail");
  const proxy = await KubectlProxy.start(kubectl, ctx.cleanupFile);
  const count = 300;
  let finished = 0;
  const timeline: string[] = [];
  const whenFinished = async (n: number) => {
    for (let i = 0; i < 6000 && finished < n; i++) await sleep(20);
  };
  let paused = false;
  const resume = () => {
    if (paused && apiServerPid !== undefined) process.kill(apiServerPid, "SIGCONT");
    paused = false;
  };
  const faults = (async () => {
    await whenFinished(count / 4);
    if (apiServerPid !== undefined) {
      timeline.push(`SIGSTOP kube-apiserver after ${finished} pods`);
      process.kill(apiServerPid, "SIGSTOP");
      paused = true;
      try {
        await sleep(3000);
      } finally {
        resume();
      }
      timeline.push(`SIGCONT after 3 s, ${finished} pods`);
    }
    await whenFinished(count / 2);
    timeline.push(`SIGTERM webhook after ${finished} pods`);
    await (webhook as WebhookProcess).stop(30_000);
    timeline.push(`webhook exited after ${finished} pods`);
    webhook = await WebhookProcess.start(ctx, ports, logFile);
    timeline.push(`webhook ready again after ${finished} pods`);
  })();

  let results: { name: string; status: number; pod?: Pod; error?: string }[];
  try {
    results = await mapConcurrent(
      Array.from({ length: count }, (_, i) => `faults-${i}`),
      30,
      async (name) => {
        const manifest = pod(name, namespace);
        Object.assign(manifest.metadata, { ownerReferences });
        try {
          const res = await fetch(`${proxy.url}/api/v1/namespaces/${namespace}/pods`, {
            method: "POST",
            headers: { "Content-Type": "application/json" },
            body: JSON.stringify(manifest),
            // Only a hang guard: a pause, a webhook timeout (10 s) and a restart all fit well inside it.
            signal: AbortSignal.timeout(90_000),
          });
          const body = (await res.json()) as Pod & { message?: string };
          return res.status === 201
            ? { name, status: res.status, pod: body }
            : { name, status: res.status, error: body.message ?? "" };
        } finally {
          finished++;
          // About 30 pods a second: the burst then spans the pause and the restart, with pods on both sides.
          await sleep(1000);
        }
      },
    );
  } finally {
    resume();
    await faults.finally(() => proxy.stop());
    // Back to deploy/'s own policy for whatever runs next.
    await registerInjector();
  }

  // Refusals are allowed only with a stated cause: the API server's "failed calling webhook" with the transport
  // error while the webhook restarts, or the webhook's own answer naming what it could not read in time.
  const causes: [string, RegExp][] = [
    [
      "webhook unreachable",
      /failed calling webhook "[^"]+": .*(connection refused|connection reset|EOF|broken pipe|no such host|i\/o timeout|context deadline exceeded|Client\.Timeout|TLS handshake)/,
    ],
    ["review deadline", /denied the request: review deadline \(\d+ ms\): \S.*/],
    ["namespace unreadable", /denied the request: failed to get namespace "[^"]+": \S.*/],
  ];
  const refused = results.filter((r) => r.status !== 201);
  const byCause = new Map<string, number>();
  const examples = new Map<string, string>();
  for (const r of refused) {
    const cause = causes.find(([, pattern]) => pattern.test(r.error ?? ""))?.[0];
    expect.soft(cause, `${r.name} refused (${r.status}) without a stated cause: ${r.error ?? ""}`).toBeDefined();
    if (cause === undefined) continue;
    byCause.set(cause, (byCause.get(cause) ?? 0) + 1);
    if (!examples.has(cause)) examples.set(cause, r.error ?? "");
  }
  // None admitted without a proxy: neither in the answers nor in what the API server stored.
  const admitted = results.filter((r) => r.status === 201);
  expect(admitted.filter((r) => r.pod === undefined || layoutOf(r.pod) !== layout).map((r) => r.name)).toEqual([]);
  const stored = await kubectl.list<Pod>("pods", namespace);
  expect(stored.length).toBe(admitted.length);
  expect(stored.filter((p) => layoutOf(p) !== layout).map((p) => p.metadata.name)).toEqual([]);

  // Every review answered under the deadline (8 s by default), by either webhook process (both log to the file).
  // A review's log line follows its answer by up to one turn of the webhook's event loop.
  const reviews = await waitFor(
    "a log line for every admitted pod's review",
    async () => {
      const lines = (await (webhook as WebhookProcess).logRecords()).filter(
        (r) => r["msg"] === "admission review" && r["namespace"] === namespace,
      );
      return lines.length >= admitted.length ? lines : undefined;
    },
    { timeoutMs: 10_000 },
  );
  expect(reviews.length).toBeGreaterThanOrEqual(admitted.length);
  const slowest = Math.max(...reviews.map((r) => Number(r["durationMs"])));
  expect(reviews.filter((r) => !(Number(r["durationMs"]) <= 8000))).toEqual([]);

  const withOwner = stored.filter((p) => ownerLabels(p)["linkerd.io/proxy-deployment"] === "faults-owner").length;
  console.log(
    `faults: ${admitted.length} of ${count} pods admitted, all injected (${withOwner} with the owner label); ` +
      `${refused.length} refused: ${JSON.stringify(Object.fromEntries(byCause))}; slowest review ${slowest} ms; ` +
      `${timeline.join("; ")}; for example: ${JSON.stringify(Object.fromEntries(examples))}`,
  );
});

/** Sums the samples of a Prometheus counter whose labels include `match`. */
function sumSamples(text: string, metric: string, match: Record<string, string>): number {
  let total = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${metric}{`)) continue;
    const labels = `,${line.slice(metric.length + 1, line.lastIndexOf("}"))}`;
    if (Object.entries(match).every(([key, value]) => labels.includes(`,${key}="${value}"`))) {
      total += Number(line.slice(line.lastIndexOf(" ") + 1));
    }
  }
  return total;
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
