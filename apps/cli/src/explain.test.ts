import { existsSync, readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  prepareConfiguration,
  reinjectManifest,
  type Explanation,
  type JsonValue,
  type ResourceReport,
} from "@l5d-injector/injector-core";
import { loadConfiguration } from "./configuration.js";
import { parseSourceDocument, splitDocuments } from "./documents.js";
import { runExplain, type ExplainArgs } from "./explain.js";
import { runInject } from "./inject.js";
import { injectArgs, testdata, TOOL } from "./test-support/fixtures.js";
import { memoryIo, type MemoryIoOptions } from "./test-support/memory-io.js";
import { memoryKube } from "./test-support/memory-kube.js";

const VALUES = testdata("values.yaml");

function explainArgs(overrides: Partial<ExplainArgs> = {}): ExplainArgs {
  return {
    target: "manifest.yaml",
    namespaceAnnotations: [],
    namespaceLabels: [],
    output: "json",
    valuesFiles: ["values.yaml"],
    sets: [],
    ignoreCluster: false,
    verbose: false,
    linkerdNamespace: "linkerd",
    ...overrides,
  };
}

async function explain(args: Partial<ExplainArgs>, options: MemoryIoOptions = {}) {
  const io = memoryIo({ ...options, files: { "values.yaml": VALUES, ...options.files } });
  const code = await runExplain(explainArgs(args), io);
  const stdout = io.stdoutText();
  const items =
    code === 0 && (args.output ?? "json") === "json"
      ? (JSON.parse(stdout) as { items: Array<Explanation & { pods?: unknown[] }> }).items
      : [];
  return { code, stdout, stderr: io.stderrText(), items, io };
}

const MISPLACED = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  annotations:
    linkerd.io/inject: enabled
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: app
        image: nginx:1.27
`;

describe("explain for manifests", () => {
  it("prints one JSON item per workload with the verdict, the steps and the hints, and exits 0", async () => {
    const { code, items, stderr } = await explain({}, { files: { "manifest.yaml": MISPLACED } });
    expect(code).toBe(0);
    expect(stderr).toBe("");
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      kind: "deployment",
      namespace: "shop",
      name: "web",
      inject: false,
      reason: "injection_enable_annotation_absent",
    });
    expect(Object.keys(items[0]?.steps[0] ?? {})).toEqual(["check", "result", "detail"]);
    expect(items[0]?.hints.map((h) => h.code)).toEqual(["annotation_on_workload_metadata"]);
  });

  it("states the namespace with --namespace-annotations, --namespace-labels and -n", async () => {
    const enabled = await explain(
      { namespaceAnnotations: ["linkerd.io/inject=enabled"], namespace: "other" },
      { files: { "manifest.yaml": MISPLACED } },
    );
    expect(enabled.items[0]).toMatchObject({ namespace: "other", inject: true, reason: "enabled_at_namespace" });
    const excluded = await explain(
      {
        namespaceAnnotations: ["linkerd.io/inject=enabled"],
        namespaceLabels: ["config.linkerd.io/admission-webhooks=disabled"],
      },
      { files: { "manifest.yaml": MISPLACED } },
    );
    expect(excluded.items[0]).toMatchObject({ inject: false, reason: "excluded_by_webhook_selector" });
    expect(excluded.items[0]?.hints.map((h) => h.code)).toContain("excluded_by_webhook_selector");
  });

  it("prints a readable block per workload: verdict, numbered steps, hints", async () => {
    const { code, stdout } = await explain({ output: "text" }, { files: { "manifest.yaml": MISPLACED } });
    expect(code).toBe(0);
    const lines = stdout.split("\n");
    expect(lines[0]).toBe(
      "deployment/web in namespace shop: would NOT be injected (injection_enable_annotation_absent)",
    );
    expect(lines[1]).toMatch(/^ {2}1\. pass webhook: offline/);
    expect(lines[2]).toMatch(/^ {2}2\. fail inject_annotation: neither namespace "shop" nor the pod template/);
    expect(stdout).toContain('  Hints:\n    - deployment "web" has linkerd.io/inject: enabled on its own metadata');
  });

  it("explains with the built-in defaults, saying it stands in for the trust anchors", async () => {
    const { code, items, stderr } = await explain(
      { ignoreCluster: true, valuesFiles: [], namespaceAnnotations: ["linkerd.io/inject=enabled"] },
      { files: { "manifest.yaml": MISPLACED } },
    );
    expect(code).toBe(0);
    expect(items[0]?.inject).toBe(true);
    expect(stderr).toContain("the built-in defaults have no identityTrustAnchorsPEM");
  });

  it("refuses a bad flag value or a missing input", async () => {
    expect((await explain({ namespaceLabels: ["novalue"] })).stderr).toBe(
      'Error: --namespace-labels expects KEY=VALUE, got "novalue"\n',
    );
    expect((await explain({ output: "yaml" })).code).toBe(1);
    expect((await explain({ target: "missing.yaml" })).stderr).toContain("cannot read missing.yaml");
    expect((await explain({ target: "foo/bar" })).stderr).toContain('"foo/bar" is neither a file nor KIND/NAME');
  });
});

const REALWORLD = fileURLToPath(new URL("../../../../shared/realworld/", import.meta.url));

/**
 * `inject --manual` ignores whether injection is enabled, while the webhook needs `linkerd.io/inject`: so explain
 * runs with the namespace stated as enabled (`--namespace-annotations linkerd.io/inject=enabled`), and then must
 * give the same outcome as `inject --manual` for every workload (injected, or refused) with the same reason codes.
 */
describe.skipIf(!existsSync(REALWORLD))("explain agrees with inject --manual on the real-world manifests", () => {
  const files = existsSync(REALWORLD) ? readdirSync(REALWORLD).filter((f) => f.endsWith(".yaml")) : [];

  it("has the six manifests", () => {
    expect(files).toHaveLength(6);
  });

  it.each(files)("%s", async (file) => {
    const text = readFileSync(REALWORLD + file, "utf8");
    const files = { "values.yaml": VALUES, [file]: text };

    // What `inject --manual` does with the file: the command itself, and the core call it makes, per document.
    const injectIo = memoryIo({ files });
    const injectCode = await runInject(injectArgs({ manual: true, input: file }), injectIo, TOOL);
    const loaded = await loadConfiguration({ ...injectArgs({ manual: true }), proxyFlags: {} }, injectIo);
    if (!loaded.ok) throw new Error(loaded.message);
    const prepared = prepareConfiguration(loaded.configuration.configured);
    if (!prepared.ok) throw new Error("values");
    const reports: Array<{ report: ResourceReport; injected: boolean }> = [];
    const split = splitDocuments(text);
    if (!split.ok) throw new Error("split");
    for (const source of split.documents) {
      const parsed = parseSourceDocument(source);
      if (!parsed.ok) throw new Error("parse");
      const result = reinjectManifest(parsed.value as JsonValue, {
        configuration: prepared.configuration,
        mode: "full",
      });
      for (const report of result.reports) {
        if (report.unsupportedResource) continue;
        reports.push({ report, injected: result.ok && report.outcome === "injected" });
      }
    }

    const { code, items } = await explain(
      { target: file, namespaceAnnotations: ["linkerd.io/inject=enabled"] },
      { files },
    );
    expect(code).toBe(0);
    expect(items.map((e) => `${e.kind}/${e.name}`)).toEqual(reports.map((r) => r.report.resName));
    items.forEach((e, i) => {
      const manual = reports[i] as (typeof reports)[number];
      expect(e.inject, `${e.kind}/${e.name}`).toBe(manual.injected);
      expect(e.reasons).toEqual(manual.report.reasons);
      if (!e.inject) expect(e.reason).toBe(manual.report.reasons[0]);
    });
    // The command's own verdict: it fails on the file exactly when a workload in it is refused, naming it.
    const refused = items.filter((e) => !e.inject);
    expect(injectCode).toBe(refused.length === 0 ? 0 : 1);
    for (const e of refused) expect(injectIo.stderrText()).toContain(`failed to inject ${e.kind}/${e.name}`);
    expect(items.length).toBeGreaterThan(0);
  });
});

describe("explain for live objects", () => {
  const deployment = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", namespace: "shop", annotations: { "linkerd.io/inject": "enabled" } },
    spec: {
      selector: { matchLabels: { app: "web" } },
      template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "app", image: "nginx" }] } },
    },
  };
  const pod = (name: string, proxy: boolean) => ({
    kind: "Pod",
    metadata: {
      name,
      namespace: "shop",
      labels: { app: "web" },
      ...(proxy ? { annotations: { "linkerd.io/proxy-version": "edge-26.8.3" } } : {}),
    },
    spec: {
      containers: [
        { name: "app" },
        ...(proxy ? [{ name: "linkerd-proxy", image: "cr.l5d.io/linkerd/proxy:edge-26.8.3" }] : []),
      ],
    },
    status: { phase: "Running" },
  });
  const injector = {
    kind: "MutatingWebhookConfiguration",
    metadata: { name: "linkerd-proxy-injector-webhook-config" },
    webhooks: [
      {
        name: "linkerd-proxy-injector.linkerd.io",
        rules: [
          { operations: ["CREATE"], apiGroups: [""], apiVersions: ["v1"], resources: ["pods"], scope: "Namespaced" },
        ],
        namespaceSelector: {
          matchExpressions: [{ key: "config.linkerd.io/admission-webhooks", operator: "NotIn", values: ["disabled"] }],
        },
      },
    ],
  };
  const cluster = (namespace: Record<string, unknown>, extra: Record<string, Record<string, unknown>> = {}) =>
    memoryKube({
      "/apis/apps/v1/namespaces/shop/deployments/web": deployment,
      "/api/v1/namespaces/shop": { kind: "Namespace", metadata: { name: "shop", ...namespace } },
      "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/linkerd-proxy-injector-webhook-config":
        injector,
      "/version": { gitVersion: "v1.30.2" },
      "/api/v1/namespaces/shop/pods/web-1": pod("web-1", true),
      "/api/v1/namespaces/shop/pods/web-2": pod("web-2", false),
      ...extra,
    });

  it("reads the object, its namespace, the webhooks, the version and the current pods", async () => {
    const kube = cluster({ labels: { "config.linkerd.io/admission-webhooks": "disabled" } });
    const { code, items } = await explain(
      { target: "deploy/web", namespace: "shop" },
      { kube: { ok: true, api: kube } },
    );
    expect(code).toBe(0);
    expect(items[0]).toMatchObject({
      kind: "deployment",
      name: "web",
      inject: false,
      reason: "excluded_by_webhook_selector",
    });
    expect(items[0]?.hints.map((h) => h.code)).toEqual([
      "annotation_on_workload_metadata",
      "excluded_by_webhook_selector",
    ]);
    expect(items[0]?.pods).toEqual([
      { name: "web-1", phase: "Running", injected: true, proxyVersion: "edge-26.8.3" },
      { name: "web-2", phase: "Running", injected: false, proxyVersion: "" },
    ]);
    expect(kube.requests.find((r) => r.path === "/api/v1/namespaces/shop/pods")?.query["labelSelector"]).toBe(
      "app=web",
    );
  });

  it("hints that pods created before injection need a restart", async () => {
    const kube = cluster({ annotations: { "linkerd.io/inject": "enabled" } });
    const { items, stdout } = await explain(
      { target: "deployment.apps/web", namespace: "shop" },
      { kube: { ok: true, api: kube } },
    );
    expect(items[0]).toMatchObject({ inject: true, reason: "enabled_at_namespace" });
    expect(items[0]?.hints.map((h) => h.code)).toEqual(["annotation_on_workload_metadata", "pods_not_injected_yet"]);
    const text = await explain(
      { target: "deploy/web", namespace: "shop", output: "text" },
      { kube: { ok: true, api: kube } },
    );
    expect(text.stdout).toContain(
      "  Pods:\n    - web-1 (Running): injected, proxy edge-26.8.3\n    - web-2 (Running): not injected\n",
    );
    expect(stdout).not.toBe("");
  });

  it("names what failed", async () => {
    const kube = cluster({});
    const missing = await explain({ target: "deploy/nope", namespace: "shop" }, { kube: { ok: true, api: kube } });
    expect(missing.stderr).toBe('Error: deployment "nope" not found in namespace "shop"\n');
    const noNamespace = memoryKube({ "/apis/apps/v1/namespaces/gone/deployments/web": deployment });
    expect(
      (await explain({ target: "deploy/web", namespace: "gone" }, { kube: { ok: true, api: noNamespace } })).stderr,
    ).toBe('Error: namespace "gone" not found\n');
    const forbidden = memoryKube(
      {
        "/apis/apps/v1/namespaces/shop/deployments/web": deployment,
        "/api/v1/namespaces/shop": { metadata: { name: "shop" } },
      },
      { "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations": { status: 403, message: "forbidden" } },
    );
    expect(
      (await explain({ target: "deploy/web", namespace: "shop" }, { kube: { ok: true, api: forbidden } })).stderr,
    ).toBe("Error: cannot list MutatingWebhookConfigurations: forbidden\n");
    expect((await explain({ target: "deploy/web" })).stderr).toBe("Error: no cluster in this test\n");
  });
});
