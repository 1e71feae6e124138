import { INJECT_ANNOTATION } from "./annotations.js";
import { stringMap } from "./json.js";
import type { AnnotationAt, Origin, ReasonCode, ResourceReport, Values } from "./types.js";
import { getValue } from "./values.js";
import { objects, str, type Workload } from "./workload.js";

const SIDECAR_IMAGE_PREFIXES = ["cr.l5d.io/linkerd/proxy:", "gcr.io/istio-release/proxyv2:"];
const SIDECAR_NAMES = ["linkerd-proxy", "istio-proxy"];
const INIT_IMAGE_PREFIXES = ["cr.l5d.io/linkerd/proxy-init:", "gcr.io/istio-release/proxy_init:"];
const INIT_NAMES = ["linkerd-init", "istio-init"];
const SA_MOUNT_PATH = "/var/run/secrets/kubernetes.io/serviceaccount";

const VALID_INJECT = new Set(["enabled", "disabled", "ingress"]);
const ENABLING = new Set(["enabled", "ingress"]);

export interface DecisionInput {
  origin: Origin;
  values: Values;
  namespaceAnnotations: Readonly<Record<string, string>>;
}

/** Builds Linkerd's report for one object and decides whether it is injectable (spec §1.2-1.6). */
export function decide(workload: Workload, input: DecisionInput): ResourceReport {
  const hasTemplate = workload.templatePath !== undefined;
  const report: ResourceReport = {
    kind: workload.kind,
    name: workload.name,
    resName: `${workload.kind}/${workload.name}`,
    missingKind: !workload.hasKind,
    hostNetwork: false,
    sidecar: false,
    udp: false,
    unsupportedResource: !hasTemplate,
    annotatable: hasTemplate || workload.kind === "service" || workload.kind === "namespace",
    injectDisabled: false,
    injectDisabledReason: "",
    annotationAt: "",
    automountServiceAccountToken: true,
    reasons: [],
    injectable: false,
    outcome: "skipped",
    warnings: [],
  };
  if (hasTemplate) {
    const spec = workload.podSpec;
    report.hostNetwork = spec["hostNetwork"] === true;
    report.sidecar = hasExistingSidecar(workload);
    report.udp = objects(spec["containers"]).some((c) =>
      objects(c["ports"]).some((p) => p["protocol"] === "UDP"),
    );
    const podInject = stringMap(workload.podMeta["annotations"])[INJECT_ANNOTATION] ?? "";
    const decision =
      input.origin === "webhook"
        ? webhookDecision(input.namespaceAnnotations[INJECT_ANNOTATION] ?? "", podInject)
        : { disabled: podInject === "disabled", reason: "" as const, at: "" as AnnotationAt };
    report.injectDisabled = decision.disabled;
    report.injectDisabledReason = decision.reason;
    report.annotationAt = decision.at;
    report.automountServiceAccountToken = automount(workload, input);
  }
  const reasons: ReasonCode[] = [];
  if (report.hostNetwork) reasons.push("host_network_enabled");
  if (report.sidecar) reasons.push("sidecar_already_exists");
  if (report.unsupportedResource) reasons.push("unsupported_resource");
  // The CLI's "disabled" carries an empty reason code in Linkerd; the sentence it stands for is this one.
  if (report.injectDisabled) reasons.push(report.injectDisabledReason || "injection_disable_annotation_present");
  if (!report.automountServiceAccountToken) reasons.push("disabled_automount_service_account_token_account");
  report.reasons = reasons;
  report.injectable = reasons.length === 0;
  return report;
}

/** The webhook's `linkerd.io/inject` precedence table (spec §1.3). */
function webhookDecision(
  nsValue: string,
  podValue: string,
): { disabled: boolean; reason: ReasonCode | ""; at: AnnotationAt } {
  if (nsValue !== "" && !VALID_INJECT.has(nsValue)) {
    return { disabled: true, reason: "invalid_inject_annotation_at_ns", at: "" };
  }
  if (podValue !== "" && !VALID_INJECT.has(podValue)) {
    return { disabled: true, reason: "invalid_inject_annotation_at_workload", at: "" };
  }
  if (ENABLING.has(nsValue)) {
    if (podValue === "disabled") return { disabled: true, reason: "injection_disable_annotation_present", at: "workload" };
    return { disabled: false, reason: "", at: "namespace" };
  }
  if (ENABLING.has(podValue)) return { disabled: false, reason: "", at: "workload" };
  return { disabled: true, reason: "injection_enable_annotation_absent", at: "" };
}

function hasExistingSidecar(workload: Workload): boolean {
  const containers = objects(workload.podSpec["containers"]);
  const inits = objects(workload.podSpec["initContainers"]);
  const isProxy = (c: (typeof containers)[number]) =>
    SIDECAR_NAMES.includes(str(c["name"])) || SIDECAR_IMAGE_PREFIXES.some((p) => str(c["image"]).startsWith(p));
  const isInit = (c: (typeof containers)[number]) =>
    INIT_NAMES.includes(str(c["name"])) || INIT_IMAGE_PREFIXES.some((p) => str(c["image"]).startsWith(p));
  return containers.some(isProxy) || inits.some(isProxy) || inits.some(isInit);
}

/** Spec §1.5: only relevant when the identity token projection is off. */
function automount(workload: Workload, input: DecisionInput): boolean {
  if (getValue(input.values, "identity.serviceAccountTokenProjection") !== false) return true;
  let result = true;
  const setting = workload.podSpec["automountServiceAccountToken"];
  if (typeof setting === "boolean") result = setting;
  if (input.origin === "webhook") {
    const first = objects(workload.podSpec["containers"])[0];
    const mounted = objects(first?.["volumeMounts"]).some((m) => m["mountPath"] === SA_MOUNT_PATH);
    if (!mounted) result = false;
  }
  return result;
}

export { SA_MOUNT_PATH };
