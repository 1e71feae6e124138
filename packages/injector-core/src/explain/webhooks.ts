import { deepFreeze, isObject } from "../json.js";
import {
  matchLabelSelector,
  matchWebhookRule,
  POD_CREATE,
  readLabelSelector,
  readWebhookRules,
  type SelectorMatch,
} from "../selectors.js";
import type { JsonObject, JsonValue } from "../types.js";

/**
 * The MutatingWebhookConfiguration the injector's chart installs (apps/webhook/chart, values.yaml; Linkerd's is the
 * same but for the names, spec §6.7): what an offline explanation assumes the cluster has.
 *
 * @example
 * explainWorkload(deployment, { configuration, webhooks: [DEFAULT_INJECTOR_WEBHOOK_CONFIGURATION] })
 * // the same as leaving `webhooks` out, except that the step does not say "offline"
 */
export const DEFAULT_INJECTOR_WEBHOOK_CONFIGURATION: JsonObject = deepFreeze({
  apiVersion: "admissionregistration.k8s.io/v1",
  kind: "MutatingWebhookConfiguration",
  metadata: { name: "l5d-proxy-injector-webhook-config" },
  webhooks: [
    {
      name: "l5d-proxy-injector.linkerd.io",
      rules: [
        {
          operations: ["CREATE"],
          apiGroups: [""],
          apiVersions: ["v1"],
          resources: ["pods", "services"],
          scope: "Namespaced",
        },
      ],
      namespaceSelector: {
        matchExpressions: [
          { key: "config.linkerd.io/admission-webhooks", operator: "NotIn", values: ["disabled"] },
          { key: "kubernetes.io/metadata.name", operator: "NotIn", values: ["kube-system", "cert-manager"] },
        ],
      },
      objectSelector: {
        matchExpressions: [
          { key: "linkerd.io/control-plane-component", operator: "DoesNotExist" },
          { key: "linkerd.io/cni-resource", operator: "DoesNotExist" },
        ],
      },
    },
  ],
});

/**
 * Whether a webhook is a proxy injector: ours (`l5d-proxy-injector.linkerd.io`) and Linkerd's
 * (`linkerd-proxy-injector.linkerd.io`) both are.
 */
export function isInjectorWebhook(name: string): boolean {
  return name.includes("proxy-injector");
}

/** How the API server treats one webhook for the creation of a workload's pods. */
export interface WebhookVerdict {
  /** The MutatingWebhookConfiguration's name. */
  readonly configuration: string;
  readonly webhook: string;
  readonly injector: boolean;
  /** Whether a rule covers Pod creation. */
  readonly rules: boolean;
  readonly namespaceSelector: SelectorMatch;
  readonly objectSelector: SelectorMatch;
  /** `matchConditions` (CEL) cannot be evaluated here: how many there are. */
  readonly matchConditions: number;
  /** Rules and both selectors match (and `matchConditions`, unknown here, permitting). */
  readonly called: boolean;
}

/** Every webhook of the configurations, judged for a Pod created with `podLabels` in a namespace with `namespaceLabels`. */
export function judgeWebhooks(
  configurations: readonly JsonValue[],
  podLabels: Readonly<Record<string, string>>,
  namespaceLabels: Readonly<Record<string, string>>,
): WebhookVerdict[] {
  const verdicts: WebhookVerdict[] = [];
  for (const configuration of configurations) {
    if (!isObject(configuration)) continue;
    const meta = isObject(configuration["metadata"]) ? configuration["metadata"] : {};
    const configurationName = typeof meta["name"] === "string" ? meta["name"] : "";
    const webhooks = Array.isArray(configuration["webhooks"]) ? configuration["webhooks"] : [];
    for (const webhook of webhooks.filter(isObject)) {
      const name = typeof webhook["name"] === "string" ? webhook["name"] : "";
      const rules = readWebhookRules(webhook["rules"]).some((rule) => matchWebhookRule(rule, POD_CREATE));
      const namespaceSelector = matchLabelSelector(readLabelSelector(webhook["namespaceSelector"]), namespaceLabels);
      const objectSelector = matchLabelSelector(readLabelSelector(webhook["objectSelector"]), podLabels);
      const conditions = webhook["matchConditions"];
      verdicts.push({
        configuration: configurationName,
        webhook: name,
        injector: isInjectorWebhook(name),
        rules,
        namespaceSelector,
        objectSelector,
        matchConditions: Array.isArray(conditions) ? conditions.length : 0,
        called: rules && namespaceSelector.matches && objectSelector.matches,
      });
    }
  }
  return verdicts;
}
