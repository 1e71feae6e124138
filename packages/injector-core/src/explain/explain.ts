import { injectAdmission } from "../admission.js";
import { isValidProxyAnnotationValue } from "../annotation-overrides.js";
import { CONTROL_PLANE_COMPONENT_LABEL, INJECT_ANNOTATION } from "../annotations.js";
import { isObject, stringMap } from "../json.js";
import { reasonSentences } from "../report.js";
import { NAMESPACE_INHERITED, SETTING_BY_ANNOTATION, SETTINGS } from "../settings.js";
import type { Issue, JsonValue, KubeObjectLike, ReasonCode, ResourceReport } from "../types.js";
import { readWorkload, type Workload } from "../workload.js";
import { templateMetadataPath, workloadHints } from "./hints.js";
import type { ExplainContext, ExplainReason, ExplainStep, Explanation, Hint, NamespaceFacts } from "./types.js";
import { DEFAULT_INJECTOR_WEBHOOK_CONFIGURATION, judgeWebhooks, type WebhookVerdict } from "./webhooks.js";

const CONFIG_PREFIXES = ["config.linkerd.io/", "config.alpha.linkerd.io/", "config.beta.linkerd.io/"];

/**
 * Explains, for each workload of an object (each item of a `List`), whether its pods would get the proxy and the
 * whole chain that decides it: which webhooks the API server calls for them (rules, `namespaceSelector`,
 * `objectSelector` against the real labels), where `linkerd.io/inject` was found and with what value, each content
 * check of Linkerd's report, the layout, each `config.*` annotation used or ignored, and hints for the classic
 * mistakes. The decision is the webhook's own: the pod a workload would create goes through `injectAdmission`,
 * so that the explanation of a Pod agrees with the admission on every input. Objects without pods (Services,
 * ConfigMaps, ...) give no explanation.
 *
 * @example
 * const [e] = explainWorkload(deployment, {
 *   configuration,
 *   namespace: { name: "shop", labels: {}, annotations: {} },
 * });
 * e?.inject;  // false
 * e?.reason;  // "injection_enable_annotation_absent"
 * e?.hints;   // [{ code: "annotation_on_workload_metadata", message: "..." }] when the annotation is misplaced
 */
export function explainWorkload(object: KubeObjectLike | JsonValue, context: ExplainContext): Explanation[] {
  const input = object as JsonValue;
  const items = isObject(input) && input["kind"] === "List" && Array.isArray(input["items"]) ? input["items"] : [input];
  const explanations: Explanation[] = [];
  for (const item of items) {
    const workload = readWorkload(item);
    if (workload.templatePath !== undefined) explanations.push(explainOne(workload, context));
  }
  return explanations;
}

function explainOne(workload: Workload, context: ExplainContext): Explanation {
  const namespaceName = context.namespace?.name ?? (workload.namespace || "default");
  const namespace: NamespaceFacts = {
    name: namespaceName,
    labels: namespaceLabels(namespaceName, context),
    annotations: context.namespace?.annotations ?? {},
  };
  const steps: ExplainStep[] = [];
  const hints: Hint[] = workloadHints(workload, context.namespace);
  const podLabels = stringMap(workload.podMeta["labels"]);

  const webhook = webhookSteps(workload, namespace, podLabels, context);
  steps.push(...webhook.steps);
  hints.push(...webhook.hints);

  const result = injectAdmission(podOf(workload, namespaceName), {
    configuration: context.configuration,
    namespace: namespaceName,
    namespaceAnnotations: namespace.annotations,
    ...(workload.kind === "pod" ? {} : { owner: { kind: workload.kind, name: workload.name } }),
  });
  const report = result.reports[0] as ResourceReport;
  steps.push(annotationStep(workload, namespace, report));
  steps.push(...contentSteps(report, podLabels));

  let rendered = false;
  let renderIssues: readonly Issue[] = [];
  if (report.injectable) {
    if (result.ok) {
      rendered = true;
      steps.push({ check: "proxy_render", result: "pass", detail: "the values render the proxy for this pod" });
    } else {
      renderIssues = result.issues;
      steps.push({
        check: "proxy_render",
        result: "fail",
        code: "render_failed",
        detail: `the webhook would refuse the pod: ${result.issues.map((i) => i.message).join("; ")}`,
      });
      if (result.issues.some((i) => i.path[0] === "identityTrustAnchorsPEM")) {
        hints.push({
          code: "trust_anchors_missing",
          message:
            "the values have no identityTrustAnchorsPEM (the built-in defaults have none): read them from the cluster's linkerd-config, or give them with --values",
        });
      }
    }
  }
  const effective = effectiveAnnotations(workload, namespace);
  if (rendered && report.layout !== undefined) {
    const layout = layoutSteps(report.layout, effective, namespace.name, context);
    steps.push(...layout.steps);
    hints.push(...layout.hints);
  }
  steps.push(...configSteps(workload, effective, namespace.name, rendered ? report.warnings : undefined));

  const inject = webhook.called && report.injectable && rendered;
  let reason: ExplainReason;
  if (webhook.reason !== undefined) reason = webhook.reason;
  else if (!report.injectable) reason = report.reasons[0] ?? "injection_enable_annotation_absent";
  else if (renderIssues.length > 0) reason = "render_failed";
  else reason = report.annotationAt === "namespace" ? "enabled_at_namespace" : "enabled_at_workload";
  return {
    kind: workload.kind,
    namespace: namespaceName,
    name: workload.name,
    inject,
    reason,
    reasons: [...report.reasons],
    ...(inject ? { layout: report.layout } : {}),
    steps,
    hints: uniqueHints(hints),
  };
}

/**
 * The labels the namespace selector sees: the namespace's own, plus `kubernetes.io/metadata.name`, which the API
 * server sets on every namespace from Kubernetes 1.21 on (assumed when the version is unknown).
 */
function namespaceLabels(name: string, context: ExplainContext): Record<string, string> {
  const labels = { ...(context.namespace?.labels ?? {}) };
  const version = parseVersion(context.serverVersion);
  const labelled = version === undefined || version.major > 1 || version.minor >= 21;
  if (labelled && labels["kubernetes.io/metadata.name"] === undefined) labels["kubernetes.io/metadata.name"] = name;
  return labels;
}

/** The Pod a workload's controller would create from its template, as the webhook receives it. */
function podOf(workload: Workload, namespace: string): JsonValue {
  if (workload.kind === "pod") return workload.raw;
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { ...workload.podMeta, generateName: `${workload.name}-`, namespace },
    spec: workload.podSpec,
  };
}

interface WebhookOutcome {
  steps: ExplainStep[];
  hints: Hint[];
  called: boolean;
  reason: ExplainReason | undefined;
}

function webhookSteps(
  workload: Workload,
  namespace: NamespaceFacts,
  podLabels: Readonly<Record<string, string>>,
  context: ExplainContext,
): WebhookOutcome {
  const offline = context.webhooks === undefined;
  const configurations = context.webhooks ?? [DEFAULT_INJECTOR_WEBHOOK_CONFIGURATION];
  const verdicts = judgeWebhooks(configurations, podLabels, namespace.labels ?? {});
  const prefix = offline ? "offline, assuming the webhook configuration the injector's chart installs: " : "";
  const pods = workload.kind === "pod" ? "the pod" : "its pods";
  const steps: ExplainStep[] = [];
  const hints: Hint[] = [];
  const injectors = verdicts.filter((v) => v.injector);
  if (injectors.length === 0) {
    steps.push({
      check: "webhook",
      result: "fail",
      code: "injector_webhook_absent",
      detail: `no proxy injector webhook is registered (none of the ${verdicts.length} mutating webhooks is named *proxy-injector*): nothing injects ${pods}`,
    });
  }
  for (const v of injectors) {
    const name = `webhook ${v.webhook} (MutatingWebhookConfiguration ${v.configuration})`;
    const cel = v.matchConditions > 0 ? `; its ${v.matchConditions} matchConditions (CEL) are not evaluated here` : "";
    if (v.called) {
      steps.push({
        check: "webhook",
        result: "pass",
        detail: `${prefix}${name} is called for ${pods}: a rule covers Pod CREATE, the namespaceSelector and the objectSelector match${cel}`,
      });
    } else if (!v.rules) {
      steps.push({
        check: "webhook",
        result: "fail",
        code: "excluded_by_webhook_rules",
        detail: `${prefix}${name} is not called for ${pods}: none of its rules covers CREATE of pods (group "", version v1)`,
      });
    } else {
      const unmet = selectorFailures(v, namespace.name, workload);
      steps.push({
        check: "webhook",
        result: "fail",
        code: "excluded_by_webhook_selector",
        detail: `${prefix}${name} is not called for ${pods}: ${unmet.join("; ")}`,
      });
      hints.push({ code: "excluded_by_webhook_selector", message: selectorHint(v, namespace, workload) });
    }
  }
  for (const v of verdicts.filter((x) => !x.injector && x.called)) {
    steps.push({
      check: "webhook",
      result: "info",
      detail: `webhook ${v.webhook} (MutatingWebhookConfiguration ${v.configuration}) is also called for ${pods}`,
    });
  }
  const called = injectors.some((v) => v.called);
  let reason: ExplainReason | undefined;
  if (!called) {
    if (injectors.length === 0) reason = "injector_webhook_absent";
    else if (injectors.some((v) => v.rules)) reason = "excluded_by_webhook_selector";
    else reason = "excluded_by_webhook_rules";
  }
  return { steps, hints, called, reason };
}

function selectorFailures(v: WebhookVerdict, namespace: string, workload: Workload): string[] {
  const out: string[] = [];
  if (!v.namespaceSelector.matches) {
    out.push(
      `namespace "${namespace}"'s labels do not satisfy its namespaceSelector (${v.namespaceSelector.unmet.join(", ")})`,
    );
  }
  if (!v.objectSelector.matches) {
    out.push(
      `the labels at ${templateMetadataPath(workload)}.labels do not satisfy its objectSelector (${v.objectSelector.unmet.join(", ")})`,
    );
  }
  return out;
}

function selectorHint(v: WebhookVerdict, namespace: NamespaceFacts, workload: Workload): string {
  if (!v.namespaceSelector.matches) {
    const disabled = namespace.labels?.["config.linkerd.io/admission-webhooks"] === "disabled";
    const fix = disabled
      ? `remove it with kubectl label namespace ${namespace.name} config.linkerd.io/admission-webhooks-`
      : `its labels must satisfy ${v.namespaceSelector.unmet.join(", ")}`;
    const cause = disabled ? "is labelled config.linkerd.io/admission-webhooks=disabled, which" : "has labels that";
    return `namespace "${namespace.name}" ${cause} keeps the proxy injector's webhook from being called for any pod in it: ${fix}`;
  }
  return `the labels at ${templateMetadataPath(workload)}.labels keep the proxy injector's webhook from being called for these pods (${v.objectSelector.unmet.join(", ")}): control-plane components are never injected by the webhook`;
}

function annotationStep(workload: Workload, namespace: NamespaceFacts, report: ResourceReport): ExplainStep {
  const podValue = stringMap(workload.podMeta["annotations"])[INJECT_ANNOTATION];
  const nsValue = namespace.annotations?.[INJECT_ANNOTATION];
  const where = workload.kind === "pod" ? "the pod" : `the pod template (${templateMetadataPath(workload)})`;
  const ns = `namespace "${namespace.name}"`;
  const found = (value: string | undefined) =>
    value === undefined ? "no linkerd.io/inject" : `linkerd.io/inject: ${value}`;
  const code = report.injectDisabledReason;
  const check = "inject_annotation";
  // Enabled (whatever the content checks say): the annotation step passes.
  if (!report.injectDisabled) {
    const detail =
      report.annotationAt === "namespace"
        ? `${ns} has linkerd.io/inject: ${nsValue}${podValue === undefined ? "" : `; ${where} has linkerd.io/inject: ${podValue}, which does not opt out`}`
        : `${where} has linkerd.io/inject: ${podValue} (${ns} has ${found(nsValue)})`;
    return { check, result: "pass", detail };
  }
  switch (code) {
    case "invalid_inject_annotation_at_ns":
      return {
        check,
        result: "fail",
        code,
        detail: `${ns} has linkerd.io/inject: "${nsValue}", not enabled, disabled or ingress`,
      };
    case "invalid_inject_annotation_at_workload":
      return {
        check,
        result: "fail",
        code,
        detail: `${where} has linkerd.io/inject: "${podValue}", not enabled, disabled or ingress`,
      };
    case "injection_disable_annotation_present":
      return {
        check,
        result: "fail",
        code,
        detail: `${where} has linkerd.io/inject: disabled, which opts out of ${ns}'s linkerd.io/inject: ${nsValue}`,
      };
    case "injection_enable_annotation_absent":
      return {
        check,
        result: "fail",
        code,
        detail: `neither ${ns} nor ${where} enables injection (${ns}: ${found(nsValue)}; ${where}: ${found(podValue)})`,
      };
    default:
      return { check, result: "pass", detail: `${where} has ${found(podValue)}; ${ns} has ${found(nsValue)}` };
  }
}

function contentSteps(report: ResourceReport, podLabels: Readonly<Record<string, string>>): ExplainStep[] {
  const fail = (check: ExplainStep["check"], code: ReasonCode): ExplainStep => ({
    check,
    result: "fail",
    code,
    detail: reasonSentences([code]),
  });
  const steps: ExplainStep[] = [
    report.hostNetwork ? fail("host_network", "host_network_enabled") : pass("host_network", "hostNetwork is not set"),
    report.sidecar
      ? fail("existing_sidecar", "sidecar_already_exists")
      : pass("existing_sidecar", "no Linkerd or Istio proxy in the pod yet"),
    report.automountServiceAccountToken
      ? pass("automount_service_account_token", "the service account token is available to the proxy")
      : fail("automount_service_account_token", "disabled_automount_service_account_token_account"),
    report.udp
      ? {
          check: "udp_ports",
          result: "warn",
          code: "udp_ports_enabled",
          detail: `${reasonSentences(["udp_ports_enabled"])}: injected anyway, but the proxy does not handle UDP, which bypasses it`,
        }
      : pass("udp_ports", "no UDP container ports"),
  ];
  const component = podLabels[CONTROL_PLANE_COMPONENT_LABEL];
  steps.push(
    component === undefined
      ? pass("control_plane_component", `not labelled ${CONTROL_PLANE_COMPONENT_LABEL}`)
      : {
          check: "control_plane_component",
          result: "warn",
          detail: `labelled ${CONTROL_PLANE_COMPONENT_LABEL}=${component}: a control-plane component, which the injector's objectSelector leaves out and inject only takes with --manual`,
        },
  );
  return steps;
}

function pass(check: ExplainStep["check"], detail: string): ExplainStep {
  return { check, result: "pass", detail };
}

interface Effective {
  value: string;
  /** Whether the pod inherits it from the namespace rather than carrying it. */
  inherited: boolean;
}

/** The annotations the webhook reads for a pod: its own, plus the namespace's inherited ones it lacks (spec §1.7). */
function effectiveAnnotations(workload: Workload, namespace: NamespaceFacts): Map<string, Effective> {
  const out = new Map<string, Effective>();
  for (const [key, value] of Object.entries(stringMap(workload.podMeta["annotations"]))) {
    out.set(key, { value, inherited: false });
  }
  for (const key of NAMESPACE_INHERITED) {
    const value = namespace.annotations?.[key];
    if (value !== undefined && !out.has(key)) out.set(key, { value, inherited: true });
  }
  return out;
}

function layoutSteps(
  layout: "native" | "classic",
  effective: ReadonlyMap<string, Effective>,
  namespace: string,
  context: ExplainContext,
): { steps: ExplainStep[]; hints: Hint[] } {
  const setting = SETTINGS.nativeSidecar;
  const key = [setting.annotation, ...setting.legacy.map((l) => l.name)].find((k) => effective.has(k));
  const entry = key === undefined ? undefined : effective.get(key);
  const valid = key !== undefined && entry !== undefined && isValidProxyAnnotationValue(key, entry.value);
  const why =
    valid && entry !== undefined
      ? `of the annotation ${key}: ${entry.value}${entry.inherited ? ` inherited from namespace "${namespace}"` : ""}`
      : `the values' proxy.nativeSidecar is ${String(context.configuration.values.proxy?.nativeSidecar ?? false)}`;
  const what =
    layout === "native"
      ? "native sidecar (linkerd-proxy as an init container that keeps running)"
      : "classic (linkerd-proxy among the containers)";
  const version = parseVersion(context.serverVersion);
  const server =
    version === undefined
      ? "API server version unknown"
      : `Kubernetes ${context.serverVersion} ${version.major > 1 || version.minor >= 29 ? "supports" : "does not support"} native sidecars (1.29+)`;
  const steps: ExplainStep[] = [{ check: "layout", result: "info", detail: `${what}, because ${why}; ${server}` }];
  const hints: Hint[] = [];
  if (layout === "native" && version !== undefined && version.major === 1 && version.minor < 29) {
    const message = `the proxy would be a native sidecar, which Kubernetes ${context.serverVersion} does not support (1.29+): the pod would not start its proxy; set ${setting.annotation}: "false" or proxy.nativeSidecar: false`;
    steps.push({ check: "layout", result: "warn", code: "native_sidecar_unsupported", detail: message });
    hints.push({ code: "native_sidecar_unsupported", message });
  }
  return { steps, hints };
}

function configSteps(
  workload: Workload,
  effective: ReadonlyMap<string, Effective>,
  namespace: string,
  warnings: readonly Issue[] | undefined,
): ExplainStep[] {
  const steps: ExplainStep[] = [];
  for (const [key, { value, inherited }] of effective) {
    if (!CONFIG_PREFIXES.some((p) => key.startsWith(p))) continue;
    const from = inherited ? ` (inherited from namespace "${namespace}")` : "";
    const annotation = `${key}: ${JSON.stringify(value)}${from}`;
    const setting = SETTING_BY_ANNOTATION.get(key);
    if (setting === undefined) {
      if (key === "config.linkerd.io/admission-webhooks") continue;
      steps.push({
        check: "config_annotation",
        result: "warn",
        code: "unknown_config_annotation",
        detail: `${annotation} is ignored: not an annotation the injector reads`,
      });
      continue;
    }
    const winner = [setting.annotation, ...setting.legacy.map((l) => l.name)].find((k) => effective.has(k));
    if (winner !== key) {
      steps.push({
        check: "config_annotation",
        result: "warn",
        detail: `${annotation} is ignored: ${winner} is read instead`,
      });
      continue;
    }
    const problems =
      warnings !== undefined
        ? warnings.filter((w) => w.path[0] === key).map((w) => w.message)
        : isValidProxyAnnotationValue(key, value, workload.podSpec)
          ? []
          : ["not a valid value"];
    const target = setting.path === null ? "the debug sidecar" : setting.path;
    steps.push(
      problems.length === 0
        ? { check: "config_annotation", result: "info", detail: `${annotation} is used: it sets ${target}` }
        : {
            check: "config_annotation",
            result: "warn",
            detail: `${annotation} is ignored where invalid (${problems.join("; ")}): ${target} keeps its configured value there`,
          },
    );
  }
  return steps;
}

function uniqueHints(hints: readonly Hint[]): Hint[] {
  const seen = new Set<string>();
  return hints.filter((h) => {
    const key = `${h.code}\n${h.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** `v1.20.2`, `1.29`, `v1.30.1-gke.100` → major and minor; `undefined` when absent or unreadable. */
export function parseVersion(version: string | undefined): { major: number; minor: number } | undefined {
  const match = /^v?(\d+)\.(\d+)/.exec(version ?? "");
  if (match === null) return undefined;
  return { major: Number(match[1]), minor: Number(match[2]) };
}
