import type { Decision } from "./decision.js";
import type { Effect } from "./transform.js";
import type { ReasonCode, ResourceReport } from "./types.js";
import type { Workload } from "./workload.js";

/**
 * Linkerd's sentences for its reason codes (`pkg/inject/report.go` `Reasons`), byte for byte: they reach users in
 * events, logs and CLI errors.
 *
 * @example
 * REASON_MESSAGES.host_network_enabled // "hostNetwork is enabled"
 */
export const REASON_MESSAGES: Readonly<Record<ReasonCode, string>> = Object.freeze({
  host_network_enabled: "hostNetwork is enabled",
  sidecar_already_exists: "pod has a sidecar injected already",
  unsupported_resource: "this resource kind is unsupported",
  injection_enable_annotation_absent:
    'neither the namespace nor the pod have the annotation "linkerd.io/inject:enabled"',
  injection_disable_annotation_present: 'pod has the annotation "linkerd.io/inject:disabled"',
  invalid_inject_annotation_at_workload: 'invalid value for annotation "linkerd.io/inject" at workload',
  invalid_inject_annotation_at_ns: 'invalid value for annotation "linkerd.io/inject" at namespace',
  disabled_automount_service_account_token_account:
    'automountServiceAccountToken set to "false", with Values.identity.serviceAccountTokenProjection set to "false"',
  udp_ports_enabled: "UDP port(s) configured on pod spec",
});

/**
 * The sentences of several reasons joined by `", "`, as in Linkerd's events and errors.
 *
 * @example
 * reasonSentences(["host_network_enabled", "sidecar_already_exists"])
 * // "hostNetwork is enabled, pod has a sidecar injected already"
 */
export function reasonSentences(reasons: readonly ReasonCode[]): string {
  return reasons.map((r) => REASON_MESSAGES[r]).join(", ");
}

/** One object's report, put together once from what was decided about it and what was done to it. */
export function assembleReport(workload: Workload, decision: Decision, effect: Effect): ResourceReport {
  return {
    kind: workload.kind,
    name: workload.name,
    resName: `${workload.kind}/${workload.name}`,
    missingKind: !workload.hasKind,
    ...decision,
    reasons: [...decision.reasons],
    // A refused object is left as it was.
    outcome: effect.ok ? effect.outcome : "skipped",
    warnings: [...(effect.warnings ?? [])],
    ...(effect.ok && effect.layout !== undefined ? { layout: effect.layout } : {}),
  };
}
