import { INJECT_ANNOTATION } from "./annotations.js";
import { stringMap } from "./json.js";
import { SA_MOUNT_PATH } from "./pod-facts.js";
import type { AnnotationAt, ReasonCode } from "./types.js";
import { objects, str, type Workload } from "./workload.js";

const SIDECAR_IMAGE_PREFIXES = ["cr.l5d.io/linkerd/proxy:", "gcr.io/istio-release/proxyv2:"];
const SIDECAR_NAMES = ["linkerd-proxy", "istio-proxy"];
const INIT_IMAGE_PREFIXES = ["cr.l5d.io/linkerd/proxy-init:", "gcr.io/istio-release/proxy_init:"];
const INIT_NAMES = ["linkerd-init", "istio-init"];

const VALID_INJECT = new Set(["enabled", "disabled", "ingress"]);
const ENABLING = new Set(["enabled", "ingress"]);

/** Where an injection request comes from; decides the annotation logic and the extras of spec §1.3, §1.7, §6. */
export type Origin = "cli" | "webhook";

export interface DecisionInput {
  origin: Origin;
  /** `identity.serviceAccountTokenProjection` (spec §1.5). */
  tokenProjection: boolean;
  namespaceAnnotations: Readonly<Record<string, string>>;
}

/** Linkerd's checks of one object (spec §1.2-1.6): the facts of its report, and whether it is injectable. */
export interface Decision {
  readonly hostNetwork: boolean;
  readonly sidecar: boolean;
  readonly udp: boolean;
  readonly unsupportedResource: boolean;
  readonly annotatable: boolean;
  readonly injectDisabled: boolean;
  readonly injectDisabledReason: ReasonCode | "";
  readonly annotationAt: AnnotationAt;
  readonly automountServiceAccountToken: boolean;
  /** Ordered reasons why the object is not injectable (empty when injectable). */
  readonly reasons: readonly ReasonCode[];
  readonly injectable: boolean;
}

const NO_ANNOTATION = { disabled: false, reason: "", at: "" } as const;

/** Decides whether an object is injectable, as Linkerd's `Report` does (spec §1.2-1.6). */
export function decide(workload: Workload, input: DecisionInput): Decision {
  const hasTemplate = workload.templatePath !== undefined;
  const spec = workload.podSpec;
  const hostNetwork = hasTemplate && spec["hostNetwork"] === true;
  const sidecar = hasTemplate && hasExistingSidecar(workload);
  const udp =
    hasTemplate && objects(spec["containers"]).some((c) => objects(c["ports"]).some((p) => p["protocol"] === "UDP"));
  const annotation = hasTemplate ? injectAnnotation(workload, input) : NO_ANNOTATION;
  const automountServiceAccountToken = !hasTemplate || automount(workload, input);
  const reasons: ReasonCode[] = [];
  if (hostNetwork) reasons.push("host_network_enabled");
  if (sidecar) reasons.push("sidecar_already_exists");
  if (!hasTemplate) reasons.push("unsupported_resource");
  // The CLI's "disabled" carries an empty reason code in Linkerd; the sentence it stands for is this one.
  if (annotation.disabled) reasons.push(annotation.reason || "injection_disable_annotation_present");
  if (!automountServiceAccountToken) reasons.push("disabled_automount_service_account_token_account");
  return {
    hostNetwork,
    sidecar,
    udp,
    unsupportedResource: !hasTemplate,
    annotatable: hasTemplate || workload.kind === "service" || workload.kind === "namespace",
    injectDisabled: annotation.disabled,
    injectDisabledReason: annotation.reason,
    annotationAt: annotation.at,
    automountServiceAccountToken,
    reasons,
    injectable: reasons.length === 0,
  };
}

function injectAnnotation(
  workload: Workload,
  input: DecisionInput,
): { disabled: boolean; reason: ReasonCode | ""; at: AnnotationAt } {
  const podInject = stringMap(workload.podMeta["annotations"])[INJECT_ANNOTATION] ?? "";
  if (input.origin === "cli") return { disabled: podInject === "disabled", reason: "", at: "" };
  return webhookDecision(input.namespaceAnnotations[INJECT_ANNOTATION] ?? "", podInject);
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
    if (podValue === "disabled")
      return { disabled: true, reason: "injection_disable_annotation_present", at: "workload" };
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
  if (input.tokenProjection) return true;
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
