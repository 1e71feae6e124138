import {
  DEFAULT_INJECTOR_WEBHOOK_CONFIGURATION,
  injectAdmission,
  prepareConfiguration,
  resolveValues,
} from "@l5d-injector/injector-core";
import { describe, expect, it } from "vitest";
import { type AuditArgs, EXIT_NEEDS_RESTART, runAudit } from "./audit.js";
import type { KubeObject } from "./kube-api.js";
import { memoryIo } from "./test-support/memory-io.js";
import { memoryKube } from "./test-support/memory-kube.js";

const PEM = "-----BEGIN CERTIFICATE-----\nTEST\n-----END CERTIFICATE-----\n";
const ENABLED = { "linkerd.io/inject": "enabled" };

function configuration(version = "edge-26.8.3") {
  // Kubernetes 1.20: the classic layout, as the webhook chooses it.
  const values = resolveValues([{ identityTrustAnchorsPEM: PEM, proxy: { nativeSidecar: false, image: { version } } }]);
  const prepared = values.ok ? prepareConfiguration(values.values) : values;
  if (!prepared.ok) throw new Error(JSON.stringify(prepared.issues));
  return prepared.configuration;
}

function pod(namespace: string, name: string, owner?: { kind: string; name: string }): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace,
      ...(owner === undefined
        ? {}
        : { ownerReferences: [{ apiVersion: "apps/v1", ...owner, uid: "u", controller: true }] }),
    },
    spec: { containers: [{ name: "app", image: "app:1", ports: [{ containerPort: 8080 }] }] },
    status: { phase: "Pending" },
  };
}

/** The pod as the webhook injects it with `version`. */
function injected(object: KubeObject, owner: { kind: string; name: string }, version?: string): KubeObject {
  const meta = object["metadata"] as { namespace: string };
  const result = injectAdmission(object, {
    configuration: configuration(version),
    namespace: meta.namespace,
    namespaceAnnotations: ENABLED,
    owner,
  });
  if (!result.ok) throw new Error("injection failed");
  return result.object;
}

function namespace(name: string, annotations: Record<string, string> = {}): KubeObject {
  return { apiVersion: "v1", kind: "Namespace", metadata: { name, annotations } };
}

/**
 * shop (enabled): Deployment web (one meshed pod, one without a proxy), StatefulSet db (meshed, an older proxy),
 * bare pod debug (meshed); Job report of CronJob nightly (no proxy). quiet (not annotated): Deployment api.
 */
function cluster(): Record<string, KubeObject> {
  const objects: Record<string, KubeObject> = {
    "/api/v1/namespaces/linkerd/configmaps/linkerd-config": {
      data: { values: JSON.stringify({ identityTrustAnchorsPEM: PEM }) },
    },
    "/version": { major: "1", minor: "20", gitVersion: "v1.20.2" },
    "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/l5d-proxy-injector-webhook-config":
      structuredClone(DEFAULT_INJECTOR_WEBHOOK_CONFIGURATION),
    "/api/v1/namespaces/shop": namespace("shop", ENABLED),
    "/api/v1/namespaces/quiet": namespace("quiet"),
    "/apis/apps/v1/namespaces/shop/replicasets/web-1": {
      metadata: { name: "web-1", ownerReferences: [{ kind: "Deployment", name: "web", controller: true }] },
    },
    "/apis/apps/v1/namespaces/quiet/replicasets/api-1": {
      metadata: { name: "api-1", ownerReferences: [{ kind: "Deployment", name: "api", controller: true }] },
    },
    "/apis/batch/v1/namespaces/shop/jobs/nightly-1": {
      metadata: { name: "nightly-1", ownerReferences: [{ kind: "CronJob", name: "nightly", controller: true }] },
    },
    "/apis/apps/v1/namespaces/shop/deployments/web": { metadata: { name: "web" }, spec: { template: {} } },
    "/apis/apps/v1/namespaces/shop/statefulsets/db": { metadata: { name: "db" }, spec: { template: {} } },
  };
  const pods = [
    injected(pod("shop", "web-1-a", { kind: "ReplicaSet", name: "web-1" }), { kind: "deployment", name: "web" }),
    pod("shop", "web-1-b", { kind: "ReplicaSet", name: "web-1" }),
    injected(
      pod("shop", "db-0", { kind: "StatefulSet", name: "db" }),
      { kind: "statefulset", name: "db" },
      "edge-26.7.1",
    ),
    injected(pod("shop", "debug"), { kind: "pod", name: "debug" }),
    pod("shop", "nightly-1-x", { kind: "Job", name: "nightly-1" }),
    pod("quiet", "api-1-a", { kind: "ReplicaSet", name: "api-1" }),
  ];
  for (const p of pods) {
    const meta = p["metadata"] as { namespace: string; name: string };
    // As the API server lists them: without kind and apiVersion.
    const { kind, apiVersion, ...listed } = p;
    objects[`/api/v1/namespaces/${meta.namespace}/pods/${meta.name}`] = listed;
  }
  return objects;
}

function args(overrides: Partial<AuditArgs> = {}): AuditArgs {
  return {
    linkerdNamespace: "linkerd",
    namespace: "default",
    allNamespaces: true,
    output: "json",
    verbose: false,
    restart: false,
    dryRun: false,
    pauseMs: 5000,
    ...overrides,
  };
}

function deps(pageSize?: number) {
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => new Date("2026-08-01T10:00:00.123Z"),
    sleep: async (ms: number) => void sleeps.push(ms),
    ...(pageSize === undefined ? {} : { pageSize }),
  };
}

async function audit(overrides: Partial<AuditArgs> = {}, pageSize?: number) {
  const kube = memoryKube(cluster());
  const io = memoryIo({ kube: { ok: true, api: kube } });
  const d = deps(pageSize);
  const code = await runAudit(args(overrides), io, d);
  return { code, io, kube, sleeps: d.sleeps };
}

describe("audit", () => {
  it("classifies every workload of the cluster, resolving ReplicaSets and Jobs to their owners, and exits 3", async () => {
    const { code, io } = await audit();
    expect(io.stderrText()).toBe("");
    const { items } = JSON.parse(io.stdoutText()) as { items: Record<string, unknown>[] };
    expect(items.map(({ detail, ...rest }) => rest)).toEqual([
      {
        kind: "Deployment",
        namespace: "quiet",
        name: "api",
        status: "skipped",
        pods: 1,
        reason: "injection_enable_annotation_absent",
      },
      { kind: "CronJob", namespace: "shop", name: "nightly", status: "unmeshed", pods: 1, reason: "proxy_missing" },
      { kind: "Deployment", namespace: "shop", name: "web", status: "unmeshed", pods: 2, reason: "proxy_missing" },
      { kind: "Pod", namespace: "shop", name: "debug", status: "meshed", pods: 1, reason: "proxy_up_to_date" },
      { kind: "StatefulSet", namespace: "shop", name: "db", status: "stale", pods: 1, reason: "proxy_version_differs" },
    ]);
    expect(items[2]?.["detail"]).toMatch(/^1 of 2 pods, e\.g\. web-1-b: /);
    expect(items[4]?.["detail"]).toBe(
      '/spec/containers/0/image: "cr.l5d.io/linkerd/proxy:edge-26.7.1" → "cr.l5d.io/linkerd/proxy:edge-26.8.3"',
    );
    expect(code).toBe(EXIT_NEEDS_RESTART);
  });

  it("reads the pods page by page and gives the same answer whatever the page size", async () => {
    const whole = await audit();
    const paged = await audit({}, 1);
    expect(paged.io.stdoutText()).toBe(whole.io.stdoutText());
    const pages = paged.kube.requests.filter((r) => r.path === "/api/v1/pods");
    expect(pages).toHaveLength(6);
    expect(pages.every((r) => r.query["limit"] === "1")).toBe(true);
    // Each ReplicaSet and Job is read once per audit, however many pods it has.
    const owners = paged.kube.requests.filter((r) => /\/(replicasets|jobs)\//.test(r.path)).map((r) => r.path);
    expect(owners).toEqual([...new Set(owners)]);
  });

  it("audits one namespace with -n, and exits 0 when nothing needs a restart", async () => {
    const { code, io, kube } = await audit({ allNamespaces: false, namespace: "quiet" });
    expect(kube.requests.some((r) => r.path === "/api/v1/namespaces/quiet/pods")).toBe(true);
    expect(JSON.parse(io.stdoutText()).items).toHaveLength(1);
    expect(code).toBe(0);
  });

  it("prints a table by default", async () => {
    const { io } = await audit({ output: "table" });
    expect(io.stdoutText()).toBe(
      [
        "NAMESPACE   WORKLOAD          STATUS     PODS   REASON",
        "quiet       deployment/api    skipped    1      injection_enable_annotation_absent",
        "shop        cronjob/nightly   unmeshed   1      proxy_missing",
        "shop        deployment/web    unmeshed   2      proxy_missing",
        "shop        pod/debug         meshed     1      proxy_up_to_date",
        "shop        statefulset/db    stale      1      proxy_version_differs",
        "",
        "5 workloads: 1 meshed, 2 unmeshed, 1 stale, 1 skipped",
        "",
      ].join("\n"),
    );
  });

  it("applies the cluster's webhook configuration: a namespace its namespaceSelector leaves out is skipped", async () => {
    const objects = cluster();
    objects["/api/v1/namespaces/system"] = {
      metadata: {
        name: "system",
        annotations: ENABLED,
        labels: { "config.linkerd.io/admission-webhooks": "disabled" },
      },
    };
    objects["/api/v1/namespaces/system/pods/agent"] = {
      metadata: { name: "agent", namespace: "system" },
      spec: { containers: [{ name: "a", image: "a:1" }] },
    };
    const io = memoryIo({ kube: { ok: true, api: memoryKube(objects) } });
    expect(await runAudit(args({ allNamespaces: false, namespace: "system" }), io, deps())).toBe(0);
    expect(JSON.parse(io.stdoutText()).items).toEqual([
      expect.objectContaining({
        kind: "Pod",
        name: "agent",
        status: "skipped",
        reason: "excluded_by_webhook_selector",
      }),
    ]);
  });

  it("makes the process favour memory before it connects to the cluster", async () => {
    const calls: string[] = [];
    const io = memoryIo({ kube: { ok: true, api: memoryKube(cluster()) } });
    const connect = io.connectKube.bind(io);
    io.connectKube = (request) => {
      calls.push("connect");
      return connect(request);
    };
    await runAudit(args(), io, { ...deps(), favourMemory: () => void calls.push("favour memory") });
    expect(calls).toEqual(["favour memory", "connect"]);
  });

  it("says which namespace could not be read, with exit code 1", async () => {
    const kube = memoryKube(cluster(), {
      "/api/v1/namespaces/shop": { status: 403, message: "namespaces is forbidden" },
    });
    const io = memoryIo({ kube: { ok: true, api: kube } });
    expect(await runAudit(args(), io, deps())).toBe(1);
    expect(io.stderrText()).toBe("Error: cannot read namespace shop: namespaces is forbidden\n");
  });

  it("says what failed when the cluster cannot be read, with exit code 1", async () => {
    const kube = memoryKube(cluster(), { "/api/v1/pods": { status: 403, message: "pods is forbidden" } });
    const io = memoryIo({ kube: { ok: true, api: kube } });
    expect(await runAudit(args(), io, deps())).toBe(1);
    expect(io.stderrText()).toBe("Error: cannot list pods: pods is forbidden\n");
  });
});

describe("audit --restart", () => {
  it("restarts unmeshed and stale Deployments, StatefulSets and DaemonSets one at a time, pausing between", async () => {
    const { code, io, kube, sleeps } = await audit({ restart: true, output: "table" });
    expect(kube.patches).toEqual(
      ["/apis/apps/v1/namespaces/shop/deployments/web", "/apis/apps/v1/namespaces/shop/statefulsets/db"].map(
        (path) => ({
          path,
          contentType: "application/strategic-merge-patch+json",
          body: {
            spec: {
              template: { metadata: { annotations: { "kubectl.kubernetes.io/restartedAt": "2026-08-01T10:00:00Z" } } },
            },
          },
        }),
      ),
    );
    expect(sleeps).toEqual([5000]);
    expect(io.stdoutText()).toContain("restarted deployment/web in shop (unmeshed)\n");
    expect(io.stdoutText()).toContain("restarted statefulset/db in shop (stale)\n");
    // The CronJob's pods cannot be restarted: a manual step, so the run still fails the gate.
    expect(io.stdoutText()).toMatch(/^manual step needed for cronjob\/nightly in shop \(unmeshed\): /m);
    expect(code).toBe(EXIT_NEEDS_RESTART);
  });

  it("only says what it would restart with --dry-run", async () => {
    const { code, io, kube, sleeps } = await audit({ restart: true, dryRun: true });
    expect(kube.patches).toEqual([]);
    expect(sleeps).toEqual([]);
    expect(io.stderrText()).toContain("would restart deployment/web in shop (unmeshed)\n");
    // stdout stays the JSON document alone.
    expect(JSON.parse(io.stdoutText()).items).toHaveLength(5);
    expect(code).toBe(EXIT_NEEDS_RESTART);
  });
});
