/**
 * `l5d-injector audit` against the real API server: the built webhook injects (as in injection.e2e.test.ts, with
 * deploy/'s configuration pointed at a local process) and the built CLI audits what it stored, reading the
 * cluster's `linkerd-config` (created here from the suite's values, which are also the webhook's). Tests run in
 * order: a Deployment goes from unmeshed to meshed through `audit --restart`, then stale after a version change.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, expect, inject, it } from "vitest";
import { createNamespace } from "./support/cluster.js";
import { recordForCleanup } from "./support/context.js";
import { injectorWebhookConfiguration, pointAt, readDeployObjects } from "./support/deploy.js";
import type { Pod } from "./support/kube-types.js";
import { Kubectl } from "./support/kubectl.js";
import { CLI_MAIN } from "./support/paths.js";
import { layoutOf } from "./support/pods.js";
import { waitFor } from "./support/poll.js";
import { run } from "./support/process.js";
import { hostForUrl } from "./support/recorder.js";
import { freePort, WebhookProcess } from "./support/webhook.js";
import { deployment, pod } from "./support/workloads.js";

const ctx = inject("e2e");
const kubectl = new Kubectl(ctx.kubeconfig);
const RUN_LABEL = "e2e.l5d-injector/run";
const CONFIG_MAP = "linkerd-config";
const namespace = `e2e-${ctx.runId}-audit`;

let webhook: WebhookProcess | undefined;
let injectorName = "";

interface AuditItem {
  kind: string;
  namespace: string;
  name: string;
  status: string;
  pods: number;
  reason: string;
  detail: string;
}

/** The built CLI's `audit`, as the admin, with the JSON output parsed when there is one. */
async function audit(...extra: string[]): Promise<{ code: number | null; items: AuditItem[]; stderr: string }> {
  return auditIn(namespace, ...extra);
}

async function auditIn(
  ns: string,
  ...extra: string[]
): Promise<{ code: number | null; items: AuditItem[]; stderr: string }> {
  const args = [CLI_MAIN, "audit", "--kubeconfig", ctx.kubeconfig, "-L", ctx.linkerdNamespace, "-n", ns];
  const result = await run(process.execPath, [...args, "-o", "json", ...extra], { timeoutMs: 60_000 });
  if (result.code !== 0 && result.code !== 3) {
    throw new Error(`audit exited with ${result.code}:\n${result.stderr}${result.stdout}`);
  }
  return {
    code: result.code,
    items: (JSON.parse(result.stdout) as { items: AuditItem[] }).items,
    stderr: result.stderr,
  };
}

function item(items: readonly AuditItem[], kind: string, name: string): AuditItem | undefined {
  return items.find((i) => i.kind === kind && i.name === name);
}

/** `linkerd-config` as `linkerd install` writes it: the values as YAML (JSON is YAML) under `values`. */
async function writeLinkerdConfig(values: Record<string, unknown>): Promise<void> {
  await kubectl.apply([
    {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: CONFIG_MAP, namespace: ctx.linkerdNamespace },
      data: { values: JSON.stringify(values, null, 2) },
    },
  ]);
}

beforeAll(async () => {
  const deployConfig = injectorWebhookConfiguration(await readDeployObjects());
  injectorName = deployConfig.metadata.name ?? "";
  const ports = { port: await freePort(ctx.listenHost), metricsPort: await freePort() };
  webhook = await WebhookProcess.start(ctx, ports, join(ctx.workDir, "webhook-audit.log"));
  recordForCleanup(ctx.cleanupFile, { resource: "mutatingwebhookconfiguration", name: injectorName });
  const url = `https://${hostForUrl(ctx.webhookHost)}:${ports.port}/`;
  await kubectl.apply([pointAt(deployConfig, { url, caBundle: ctx.caBundle })]);

  recordForCleanup(ctx.cleanupFile, { resource: "configmap", name: CONFIG_MAP, namespace: ctx.linkerdNamespace });
  await writeLinkerdConfig(JSON.parse(await readFile(ctx.valuesFile, "utf8")) as Record<string, unknown>);

  recordForCleanup(ctx.cleanupFile, { resource: "namespace", name: namespace });
  await createNamespace(kubectl, ctx.server, namespace, {}, { [RUN_LABEL]: ctx.runId });
  // The API server applies webhook configurations asynchronously: a dry run in an enabled namespace shows when
  // injection has started.
  const probe = `e2e-${ctx.runId}-audit-probe`;
  recordForCleanup(ctx.cleanupFile, { resource: "namespace", name: probe });
  await createNamespace(kubectl, ctx.server, probe, { "linkerd.io/inject": "enabled" }, { [RUN_LABEL]: ctx.runId });
  await waitFor("the webhook to inject pods", async () => {
    const dry = await kubectl.create<Pod>(pod("probe", probe), ["--dry-run=server"]);
    return layoutOf(dry) !== "none" ? true : undefined;
  });
});

afterAll(async () => {
  if (injectorName !== "") await kubectl.delete("mutatingwebhookconfiguration", injectorName).catch(() => undefined);
  await kubectl.delete("configmap", CONFIG_MAP, ctx.linkerdNamespace).catch(() => undefined);
  await webhook?.stop();
});

it("says a Deployment created before its namespace was annotated is unmeshed, and exits 3", async () => {
  // Recreate: there is no kubelet, so new pods never become ready and a rolling update would keep the old pods
  // forever; Recreate removes them first (pods that were never scheduled go at once).
  const web = deployment("web", namespace, 2);
  Object.assign(web.spec, { strategy: { type: "Recreate" } });
  await kubectl.apply([web]);
  await waitFor("2 pods of web", async () => {
    const pods = await kubectl.list<Pod>("pods", namespace, "app=web");
    return pods.length === 2 ? pods : undefined;
  });

  const before = await audit();
  expect(item(before.items, "Deployment", "web")).toMatchObject({
    status: "skipped",
    pods: 2,
    reason: "injection_enable_annotation_absent",
  });
  expect(before.code).toBe(0);

  await kubectl.ok(["annotate", "namespace", namespace, "linkerd.io/inject=enabled"]);
  const after = await audit();
  expect(after.items).toEqual([
    expect.objectContaining({
      kind: "Deployment",
      namespace,
      name: "web",
      status: "unmeshed",
      pods: 2,
      reason: "proxy_missing",
    }),
  ]);
  expect(after.code).toBe(3);
});

it("restarts it with audit --restart (nothing with --dry-run), and a second audit says meshed", async () => {
  const generation = async () =>
    (await kubectl.get<Pod & { metadata: { generation?: number } }>("deployment", "web", namespace))?.metadata
      .generation;
  const before = await generation();
  const dry = await audit("--restart", "--dry-run");
  expect(dry.stderr).toContain(`would restart deployment/web in ${namespace} (unmeshed)`);
  expect(dry.code).toBe(3);
  expect(await generation()).toBe(before);

  const restart = await audit("--restart", "--pause", "1s");
  expect(restart.stderr).toContain(`restarted deployment/web in ${namespace} (unmeshed)`);
  expect(restart.code).toBe(0);
  const template = await kubectl.json<{ spec: { template: { metadata: { annotations?: Record<string, string> } } } }>([
    "-n",
    namespace,
    "get",
    "deployment",
    "web",
  ]);
  expect(template.spec.template.metadata.annotations?.["kubectl.kubernetes.io/restartedAt"]).toMatch(
    /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
  );

  await waitFor("the restarted Deployment's 2 injected pods, and no other", async () => {
    const pods = await kubectl.list<Pod>("pods", namespace, "app=web");
    return pods.length === 2 && pods.every((p) => layoutOf(p) !== "none") ? pods : undefined;
  });
  const meshed = await audit();
  expect(meshed.items).toEqual([
    { kind: "Deployment", namespace, name: "web", status: "meshed", pods: 2, reason: "proxy_up_to_date", detail: "" },
  ]);
  expect(meshed.code).toBe(0);
});

it("says the meshed Deployment is stale with proxy_version_differs once linkerd-config names another proxy version", async () => {
  const values = JSON.parse(await readFile(ctx.valuesFile, "utf8")) as { proxy?: Record<string, unknown> };
  await writeLinkerdConfig({ ...values, proxy: { ...values.proxy, image: { version: "edge-99.1.1" } } });
  const stale = await audit();
  expect(stale.items).toEqual([
    expect.objectContaining({
      kind: "Deployment",
      name: "web",
      status: "stale",
      pods: 2,
      reason: "proxy_version_differs",
    }),
  ]);
  expect(stale.items[0]?.detail).toMatch(
    /\/image: "cr\.l5d\.io\/linkerd\/proxy:[^"]+" → "cr\.l5d\.io\/linkerd\/proxy:edge-99\.1\.1"$/,
  );
  expect(stale.code).toBe(3);
});

it("says skipped, and why, for a Deployment annotated on its own metadata and for a namespace the webhook's selector excludes", async () => {
  const plain = `e2e-${ctx.runId}-audit-plain`;
  const excluded = `e2e-${ctx.runId}-audit-excluded`;
  recordForCleanup(ctx.cleanupFile, { resource: "namespace", name: plain });
  recordForCleanup(ctx.cleanupFile, { resource: "namespace", name: excluded });
  await createNamespace(kubectl, ctx.server, plain, {}, { [RUN_LABEL]: ctx.runId });
  await createNamespace(
    kubectl,
    ctx.server,
    excluded,
    { "linkerd.io/inject": "enabled" },
    { [RUN_LABEL]: ctx.runId, "config.linkerd.io/admission-webhooks": "disabled" },
  );
  const misplaced = deployment("misplaced", plain, 1);
  (misplaced.metadata as { annotations?: Record<string, string> }).annotations = { "linkerd.io/inject": "enabled" };
  await kubectl.apply([misplaced, deployment("excluded", excluded, 1)]);
  for (const [ns, app] of [
    [plain, "misplaced"],
    [excluded, "excluded"],
  ] as const) {
    await waitFor(`the pod of ${app}`, async () => {
      const pods = await kubectl.list<Pod>("pods", ns, `app=${app}`);
      return pods.length === 1 ? pods : undefined;
    });
  }

  const first = await auditIn(plain);
  expect(first.items).toEqual([
    expect.objectContaining({
      kind: "Deployment",
      name: "misplaced",
      status: "skipped",
      pods: 1,
      reason: "injection_enable_annotation_absent",
    }),
  ]);
  expect(first.code).toBe(0);
  const second = await auditIn(excluded);
  expect(second.items).toEqual([
    expect.objectContaining({
      kind: "Deployment",
      name: "excluded",
      status: "skipped",
      pods: 1,
      reason: "excluded_by_webhook_selector",
    }),
  ]);
  expect(second.code).toBe(0);
});
