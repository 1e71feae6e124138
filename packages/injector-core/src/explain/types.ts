import type { Configuration } from "../configuration.js";
import type { JsonValue, ReasonCode } from "../types.js";

/** The Namespace a workload runs in, as far as the injection and the webhook selection read it. */
export interface NamespaceFacts {
  readonly name: string;
  readonly labels?: Readonly<Record<string, string>> | undefined;
  readonly annotations?: Readonly<Record<string, string>> | undefined;
}

/**
 * What `explainWorkload` knows besides the object. Everything that comes from the cluster is optional: without it
 * the explanation says what it assumed.
 *
 * @example
 * const context: ExplainContext = {
 *   configuration,                                           // from prepareConfiguration
 *   namespace: { name: "shop", labels: {}, annotations: { "linkerd.io/inject": "enabled" } },
 *   webhooks: mutatingWebhookConfigurations,                 // the cluster's, as JSON; omit when offline
 *   serverVersion: "v1.30.2",
 * };
 */
export interface ExplainContext {
  /** From `prepareConfiguration`: the values the webhook injects with. */
  readonly configuration: Configuration;
  /** Absent: a namespace without labels or annotations, named as the object says (or `default`). */
  readonly namespace?: NamespaceFacts | undefined;
  /**
   * The cluster's MutatingWebhookConfigurations, as JSON objects. Absent (offline): the webhook configuration the
   * injector's chart installs ({@link DEFAULT_INJECTOR_WEBHOOK_CONFIGURATION}), and the step says so.
   */
  readonly webhooks?: readonly JsonValue[] | undefined;
  /** The API server's version (`v1.20.2`), for the native sidecar layout and the namespace name label. */
  readonly serverVersion?: string | undefined;
}

/** Why a workload would or would not be injected: Linkerd's reason codes, and the ones explain adds. */
export type ExplainReason =
  | ReasonCode
  /** Injected: the namespace's `linkerd.io/inject` enables it. */
  | "enabled_at_namespace"
  /** Injected: the pod template's `linkerd.io/inject` enables it. */
  | "enabled_at_workload"
  /** No webhook named like a proxy injector (`*proxy-injector*`) is registered. */
  | "injector_webhook_absent"
  /** The injector's webhook rules do not cover Pod creation. */
  | "excluded_by_webhook_rules"
  /** The injector's `namespaceSelector` or `objectSelector` excludes the pods. */
  | "excluded_by_webhook_selector"
  /** The values (and the pod's annotations) cannot render the proxy: the webhook would refuse the pod. */
  | "render_failed";

/** The checks of an explanation, in the order the API server and the injector make them. */
export type ExplainCheck =
  | "kind"
  | "webhook"
  | "inject_annotation"
  | "host_network"
  | "existing_sidecar"
  | "automount_service_account_token"
  | "udp_ports"
  | "control_plane_component"
  | "proxy_render"
  | "layout"
  | "config_annotation";

/**
 * One step of the chain: `pass` and `fail` decide, `info` says what happens (a webhook that is not the injector, a
 * setting an annotation changes), `warn` something ignored or worth a look.
 */
export interface ExplainStep {
  readonly check: ExplainCheck;
  readonly result: "pass" | "fail" | "info" | "warn";
  readonly detail: string;
  /** The reason or hint code this step stands for, when it has one. */
  readonly code?: ExplainReason | HintCode | undefined;
}

/** Codes of the hints for the classic mistakes. */
export type HintCode =
  /** `linkerd.io/inject` (or a `config.*` annotation) on the workload's own metadata, not on its pod template. */
  | "annotation_on_workload_metadata"
  /** `linkerd.io/inject` set as a label (of the pods or of the namespace) instead of an annotation. */
  | "inject_label_not_annotation"
  /** `linkerd.io/inject` with a value other than `enabled`, `disabled` or `ingress` (`enable`, `true`). */
  | "invalid_inject_value"
  /** The injector's webhook is not called for these pods: a namespace or object label excludes them. */
  | "excluded_by_webhook_selector"
  /** A `config.linkerd.io/*` annotation the injector does not read (a misspelt name). */
  | "unknown_config_annotation"
  /** The native sidecar layout on an API server older than Kubernetes 1.29: the proxy would not start. */
  | "native_sidecar_unsupported"
  /** The values have no `identityTrustAnchorsPEM`: nothing can be injected with them. */
  | "trust_anchors_missing"
  /** Live objects: the workload would be injected, but its current pods, created before, have no proxy. */
  | "pods_not_injected_yet";

/** A classic mistake found, and what to do about it. */
export interface Hint {
  readonly code: HintCode;
  readonly message: string;
}

/**
 * Why one workload would (or would not) get the proxy: the verdict, the first reason, the full chain of checks,
 * and hints. `reasons` are the reasons of Linkerd's report for its pods (the webhook's decision, with the
 * namespace and values given).
 */
export interface Explanation {
  /** Lower-cased kind, as in the injector's reports. */
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly inject: boolean;
  readonly reason: ExplainReason;
  readonly reasons: readonly ReasonCode[];
  /** Where the proxy would go, when it would be injected. */
  readonly layout?: "native" | "classic" | undefined;
  readonly steps: readonly ExplainStep[];
  readonly hints: readonly Hint[];
}
