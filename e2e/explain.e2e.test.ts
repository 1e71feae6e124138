/**
 * `explain KIND/NAME` against a real API server: the CLI reads the Deployment, its Namespace, the cluster's
 * MutatingWebhookConfigurations and the API server's version itself. The injector's webhook configuration is
 * deploy/'s, registered under its own name and limited to this file's namespaces (one added namespaceSelector term),
 * pointed at an address nobody listens on with failurePolicy Ignore: explain only reads it, and no other test's pods
 * are sent to it.
 */
import { afterAll, beforeAll, expect, inject, it } from "vitest";
import { createNamespace } from "./support/cluster.js";
import { recordForCleanup } from "./support/context.js";
import { injectorWebhookConfiguration, pointAt, readDeployObjects } from "./support/deploy.js";
import { Kubectl } from "./support/kubectl.js";
import { CLI_MAIN } from "./support/paths.js";
import { run } from "./support/process.js";
import { deployment } from "./support/workloads.js";

const ctx = inject("e2e");
const kubectl = new Kubectl(ctx.kubeconfig);
const SCOPE_LABEL = "e2e.l5d-injector/explain";
const configName = `e2e-explain-${ctx.runId}`;

interface Item {
  kind: string;
  namespace: string;
  name: string;
  inject: boolean;
  reason: string;
  steps: { check: string; result: string; detail: string }[];
  hints: { code: string; message: string }[];
  pods?: unknown[];
}

async function explain(target: string, namespace: string): Promise<Item[]> {
  const args = [CLI_MAIN, "explain", target, "-n", namespace, "-o", "json"];
  const result = await run(process.execPath, [...args, "--kubeconfig", ctx.kubeconfig, "--values", ctx.valuesFile], {
    timeoutMs: 60_000,
  });
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  return (JSON.parse(result.stdout) as { items: Item[] }).items;
}

async function namespace(purpose: string, labels: Record<string, string>): Promise<string> {
  const name = `e2e-${ctx.runId}-explain-${purpose}`;
  recordForCleanup(ctx.cleanupFile, { resource: "namespace", name });
  await createNamespace(kubectl, ctx.server, name, {}, { [SCOPE_LABEL]: ctx.runId, ...labels });
  return name;
}

beforeAll(async () => {
  const shipped = injectorWebhookConfiguration(await readDeployObjects());
  const pointed = pointAt(shipped, { url: "https://127.0.0.1:9/", caBundle: ctx.caBundle, failurePolicy: "Ignore" });
  const scoped = {
    ...pointed,
    metadata: { name: configName },
    webhooks: pointed.webhooks.map((webhook) => {
      const selector = (webhook["namespaceSelector"] ?? {}) as { matchExpressions?: unknown[] };
      return {
        ...webhook,
        namespaceSelector: {
          ...selector,
          matchExpressions: [
            ...(selector.matchExpressions ?? []),
            { key: SCOPE_LABEL, operator: "In", values: [ctx.runId] },
          ],
        },
      };
    }),
  };
  recordForCleanup(ctx.cleanupFile, { resource: "mutatingwebhookconfiguration", name: configName });
  await kubectl.apply([scoped]);
});

afterAll(async () => {
  await kubectl.delete("mutatingwebhookconfiguration", configName);
});

it("explains a Deployment annotated on its own metadata in an unannotated namespace: not injected, with the hint", async () => {
  const ns = await namespace("plain", {});
  const object = deployment("misplaced", ns, 0);
  (object.metadata as { annotations?: Record<string, string> }).annotations = { "linkerd.io/inject": "enabled" };
  await kubectl.apply([object]);

  const [item] = await explain("deployment/misplaced", ns);
  expect(item).toMatchObject({ kind: "deployment", namespace: ns, name: "misplaced", inject: false });
  expect(item?.reason).toBe("injection_enable_annotation_absent");
  expect(item?.hints.map((h) => h.code)).toContain("annotation_on_workload_metadata");
  expect(item?.steps[0]).toMatchObject({ check: "webhook", result: "pass" });
  expect(item?.pods).toEqual([]);
});

it("explains a Deployment in a namespace labelled config.linkerd.io/admission-webhooks=disabled: excluded", async () => {
  const ns = await namespace("disabled", { "config.linkerd.io/admission-webhooks": "disabled" });
  await kubectl.ok(["annotate", "namespace", ns, "linkerd.io/inject=enabled"]);
  await kubectl.apply([deployment("excluded", ns, 0)]);

  const [item] = await explain("deploy/excluded", ns);
  expect(item).toMatchObject({ inject: false, reason: "excluded_by_webhook_selector" });
  expect(item?.hints.map((h) => h.code)).toContain("excluded_by_webhook_selector");
  expect(item?.steps.find((s) => s.check === "webhook" && s.result === "fail")?.detail).toContain(
    "config.linkerd.io/admission-webhooks notin (disabled)",
  );
});

it("names what is missing", async () => {
  const ns = await namespace("missing", {});
  const result = await run(
    process.execPath,
    [CLI_MAIN, "explain", "deploy/nope", "-n", ns, "--kubeconfig", ctx.kubeconfig, "--values", ctx.valuesFile],
    { timeoutMs: 60_000 },
  );
  expect(result.code).toBe(1);
  expect(result.stderr).toBe(`Error: deployment "nope" not found in namespace "${ns}"\n`);
});
