import { existsSync } from "node:fs";
import type { KubeObject } from "./kube-types.js";
import { WEBHOOK_DEPLOY_DIR } from "./paths.js";
import { runOk } from "./process.js";
import { parseYamlDocuments } from "./yaml.js";

const RBAC_KINDS = new Set(["Namespace", "ServiceAccount", "Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding"]);

/** The webhook's manifests as `kubectl kustomize apps/webhook/deploy` renders them (no cluster needed). */
export async function readDeployObjects(): Promise<KubeObject[]> {
  if (!existsSync(WEBHOOK_DEPLOY_DIR)) {
    throw new Error(
      `ERR_E2E_DEPLOY: ${WEBHOOK_DEPLOY_DIR} does not exist; the suite applies its ServiceAccount, RBAC and webhook configuration`,
    );
  }
  const text = await runOk("kubectl", ["kustomize", WEBHOOK_DEPLOY_DIR], { timeoutMs: 60_000 });
  return parseYamlDocuments(text) as KubeObject[];
}

/** The ServiceAccount, its (Cluster)Roles and bindings, and the Namespace they live in when deploy/ declares it. */
export function rbacObjects(objects: readonly KubeObject[]): KubeObject[] {
  return objects.filter((o) => RBAC_KINDS.has(o.kind ?? ""));
}

/** The single ServiceAccount of deploy/: the identity the webhook runs as. */
export function webhookServiceAccount(objects: readonly KubeObject[]): { name: string; namespace: string } {
  const accounts = objects.filter((o) => o.kind === "ServiceAccount");
  if (accounts.length !== 1) {
    throw new Error(`ERR_E2E_DEPLOY: expected one ServiceAccount in ${WEBHOOK_DEPLOY_DIR}, found ${accounts.length}`);
  }
  const meta = (accounts[0] as KubeObject).metadata;
  return { name: meta.name ?? "", namespace: meta.namespace ?? "default" };
}

export interface WebhookEntry {
  name: string;
  clientConfig?: Record<string, unknown>;
  failurePolicy?: string;
  [key: string]: unknown;
}

export interface MutatingWebhookConfiguration extends KubeObject {
  webhooks: WebhookEntry[];
}

export function injectorWebhookConfiguration(objects: readonly KubeObject[]): MutatingWebhookConfiguration {
  const found = objects.filter((o) => o.kind === "MutatingWebhookConfiguration");
  if (found.length !== 1) {
    throw new Error(
      `ERR_E2E_DEPLOY: expected one MutatingWebhookConfiguration in ${WEBHOOK_DEPLOY_DIR}, found ${found.length}`,
    );
  }
  return found[0] as MutatingWebhookConfiguration;
}

export interface ClientConfigChange {
  url: string;
  caBundle: string;
  /** Absent: keep deploy/'s policy. */
  failurePolicy?: "Ignore" | "Fail";
  /**
   * Test-only: pods labelled `CONFIG_PROBE_LABEL: <probe>` are left out by this version of the configuration, so
   * that a dry run of such a pod shows when the API server has started using it (it applies changes
   * asynchronously). No other pod is affected.
   */
  probe?: string;
}

export const CONFIG_PROBE_LABEL = "e2e.l5d-injector/config-probe";

/**
 * deploy/'s MutatingWebhookConfiguration, changed only where a local process needs it: the webhook is reached by
 * URL instead of through a Service, verified with the suite's CA, and (per test) with another failurePolicy.
 * Selectors, rules, timeouts and review versions stay exactly as shipped, so the suite tests what users install
 * (a `probe` adds one objectSelector term that excludes only the suite's probe pods).
 */
export function pointAt(
  config: MutatingWebhookConfiguration,
  change: ClientConfigChange,
): MutatingWebhookConfiguration {
  const meta = config.metadata;
  return {
    apiVersion: config.apiVersion ?? "admissionregistration.k8s.io/v1",
    kind: "MutatingWebhookConfiguration",
    // Only identity: annotations such as cert-manager's CA injection would fight over the caBundle.
    metadata: { name: meta.name ?? "", ...(meta.labels !== undefined ? { labels: meta.labels } : {}) },
    webhooks: config.webhooks.map((webhook) => ({
      ...webhook,
      clientConfig: { url: change.url, caBundle: change.caBundle },
      ...(change.failurePolicy !== undefined ? { failurePolicy: change.failurePolicy } : {}),
      ...(change.probe !== undefined ? { objectSelector: withProbe(webhook["objectSelector"], change.probe) } : {}),
    })),
  };
}

function withProbe(selector: unknown, probe: string): Record<string, unknown> {
  const current = (typeof selector === "object" && selector !== null ? selector : {}) as {
    matchExpressions?: unknown[];
  };
  return {
    ...current,
    matchExpressions: [
      ...(current.matchExpressions ?? []),
      { key: CONFIG_PROBE_LABEL, operator: "NotIn", values: [probe] },
    ],
  };
}
