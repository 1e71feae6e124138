import { injectAdmission } from "../admission.js";
import type { Configuration } from "../configuration.js";
import { explainWorkload } from "../explain/explain.js";
import type { Explanation, NamespaceFacts } from "../explain/types.js";
import { isObject } from "../json.js";
import { REASON_MESSAGES } from "../report.js";
import type { JsonValue, KubeObjectLike, ReasonCode } from "../types.js";
import { uninject } from "../uninject.js";
import { compareInjectedParts, hasProxy, type ProxyDifference } from "./compare.js";

/** What an audit makes of a workload (or one of its pods). */
export type AuditStatus = "meshed" | "unmeshed" | "stale" | "skipped" | "uninjectable";

/**
 * Why, as a stable snake_case code: Linkerd's reason codes where they exist (`injection_enable_annotation_absent`,
 * `host_network_enabled`...), the core's issue codes (`render_failed`), the audit's own (`proxy_up_to_date`,
 * `proxy_missing`, `proxy_version_differs`, `proxy_spec_differs`), or explain's (`excluded_by_webhook_selector`...).
 */
export type AuditReason =
  | "proxy_up_to_date"
  | "proxy_missing"
  | "proxy_version_differs"
  | "proxy_spec_differs"
  | ReasonCode
  | "render_failed"
  | "invalid_object"
  | (string & {});

export interface PodAudit {
  status: AuditStatus;
  reason: AuditReason;
  /** One line for people: what differs, or why the pod is not injected. */
  detail: string;
}

export interface PodAuditOptions {
  /** The configuration injection runs with now, from `prepareConfiguration`. */
  configuration: Configuration;
  /**
   * The pod's Namespace: its name, its labels (the webhook's `namespaceSelector`) and its annotations (its
   * `linkerd.io/inject`, and settings the pod inherits).
   */
  namespace: NamespaceFacts;
  /** The pod's resolved owner, as the webhook passes it (see `resolveWorkload`). */
  owner?: { kind: string; name: string } | undefined;
  /**
   * The cluster's MutatingWebhookConfigurations, whose rules and selectors decide whether the injector is called for
   * the pod at all. Absent: the configuration the injector's chart installs (see `explainWorkload`).
   */
  webhooks?: readonly JsonValue[] | undefined;
  /** The API server's version (`v1.20.2`): which namespace labels the selectors see. */
  serverVersion?: string | undefined;
}

/**
 * Reasons that come from the pod's content, which no annotation changes: such a pod is `uninjectable`. Every other
 * reason not to inject (annotations, the webhook's rules and selectors, no injector webhook) makes it `skipped`.
 */
const CONTENT_REASONS: ReadonlySet<string> = new Set([
  "host_network_enabled",
  "sidecar_already_exists",
  "unsupported_resource",
  "disabled_automount_service_account_token_account",
  "udp_ports_enabled",
  "render_failed",
  "invalid_object",
]);

/**
 * Audits one live pod, as the API server returns it: is its proxy the one injection would give it now? The pod is
 * uninjected; `explainWorkload` decides whether the webhook would inject it (its rules and selectors, the
 * annotations, the content checks); if so it is injected again with the current configuration and its Namespace's
 * annotations, as the webhook would on a restart, and the proxy, init containers and volumes are compared
 * (`compareInjectedParts`).
 *
 * - `meshed`: it has exactly that proxy; `unmeshed`: injection is enabled but it has no proxy;
 * - `stale`: it has a proxy that differs (`proxy_version_differs`, `proxy_spec_differs`), or one that injection
 *   would not give it any more (the reason code says why not);
 * - `skipped` (not enabled, or disabled) and `uninjectable` (its content), with the reason.
 *
 * @example
 * const a = auditPod(livePod, { configuration, namespace: { name: "shop", annotations: { "linkerd.io/inject": "enabled" } } });
 * a.status; // "stale"
 * a.reason; // "proxy_version_differs"
 */
export function auditPod(pod: KubeObjectLike | JsonValue, options: PodAuditOptions): PodAudit {
  const live = pod as JsonValue;
  const proxied = hasProxy(live);
  const removed = uninject(live);
  if (!removed.ok) return uninjectable("invalid_object", removed.issues[0]?.message ?? "not a pod");
  // Whether the webhook would inject the pod now, selectors included, is explain's decision, taken on the pod as it
  // was before injection.
  const [explanation] = explainWorkload(removed.object, {
    configuration: options.configuration,
    namespace: options.namespace,
    webhooks: options.webhooks,
    serverVersion: options.serverVersion,
  });
  if (explanation === undefined) return uninjectable("unsupported_resource", REASON_MESSAGES.unsupported_resource);
  if (!explanation.inject) return notInjected(proxied, explanation.reason, whyNot(explanation));
  const admitted = injectAdmission(removed.object, {
    configuration: options.configuration,
    namespace: options.namespace.name,
    namespaceAnnotations: options.namespace.annotations ?? {},
    owner: options.owner,
  });
  if (!admitted.ok) {
    const issue = admitted.issues[0];
    return notInjected(proxied, issue?.code ?? "render_failed", issue?.message ?? "injection failed");
  }
  const report = admitted.reports[0];
  if (report === undefined || !report.injectable || report.outcome !== "injected") {
    const reason: ReasonCode = report?.reasons[0] ?? "unsupported_resource";
    return notInjected(proxied, reason, REASON_MESSAGES[reason]);
  }
  if (!proxied) {
    return {
      status: "unmeshed",
      reason: "proxy_missing",
      detail: "injection is enabled, but the pod has no proxy (created before, or admitted without the webhook)",
    };
  }
  const difference = compareInjectedParts(live, admitted.object);
  if (difference === undefined) return { status: "meshed", reason: "proxy_up_to_date", detail: "" };
  return { status: "stale", reason: difference.reason, detail: describeDifference(difference) };
}

/** The sentence of the step that decided against injection, else of the reason. */
function whyNot(explanation: Explanation): string {
  const failed = explanation.steps.find((step) => step.result === "fail");
  if (failed !== undefined) return failed.detail;
  return explanation.reason in REASON_MESSAGES ? REASON_MESSAGES[explanation.reason as ReasonCode] : explanation.reason;
}

function notInjected(proxied: boolean, reason: string, detail: string): PodAudit {
  // A proxy that injection would not give the pod now goes away on a restart: as much a change as a new version.
  if (proxied)
    return { status: "stale", reason, detail: `has a proxy, but injection would give it none now: ${detail}` };
  return CONTENT_REASONS.has(reason) ? uninjectable(reason, detail) : { status: "skipped", reason, detail };
}

function uninjectable(reason: string, detail: string): PodAudit {
  return { status: "uninjectable", reason, detail };
}

/** `<path>: <live> → <expected>`, each value cut short: one line per workload in a table. */
export function describeDifference(difference: ProxyDifference): string {
  return `${difference.path}: ${short(difference.live)} → ${short(difference.expected)}`;
}

function short(value: JsonValue | undefined): string {
  if (value === undefined) return "(none)";
  // A whole container or volume: its name says enough.
  if (isObject(value) && typeof value["name"] === "string") return value["name"];
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
