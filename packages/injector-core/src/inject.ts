import {
  CONTROL_PLANE_COMPONENT_LABEL,
  CONTROL_PLANE_NS_LABEL,
  CREATED_BY_ANNOTATION,
  INJECT_ANNOTATION,
  PROXY_VERSION_ANNOTATION,
  TRUST_ROOT_SHA_ANNOTATION,
  WORKLOAD_NS_LABEL,
} from "./annotations.js";
import { applyOverrides } from "./config.js";
import { decide } from "./decision.js";
import { isObject, sortedKeys, stringMap } from "./json.js";
import { parsePortRange } from "./parse.js";
import { pointer } from "./patch.js";
import { transformEach, type One } from "./transform.js";
import { renderProxySpec } from "./proxy-spec.js";
import { reasonSentences } from "./report.js";
import { A, FLAG_ANNOTATIONS, NAMESPACE_INHERITED } from "./settings.js";
import { sha256Hex } from "./sha256.js";
import type {
  InjectOptions,
  JsonObject,
  JsonValue,
  KubeObjectLike,
  PatchOperation,
  ReasonCode,
  ResourceReport,
  TransformResult,
} from "./types.js";
import { readBoolean, readString } from "./values.js";
import { objects, readWorkload, type Workload } from "./workload.js";

/** Kinds whose name becomes the `linkerd.io/proxy-<kind>` label (spec §2.1). The webhook never maps `cronjob`. */
const OWNER_LABEL_KINDS = new Set(["deployment", "replicationcontroller", "replicaset", "job", "daemonset", "statefulset"]);


/**
 * Injects the Linkerd proxy into a Kubernetes object, as Linkerd's webhook (`origin: "webhook"`) or CLI
 * (`origin: "cli"`) does. Returns the new object, the RFC 6902 patch from the input to it, and one report per object
 * (per item of a `List`). Expected outcomes (skips, annotation problems, refusals) are data; the input is never
 * changed. The input may be plain JSON or a typed object (kubernetes-models, @kubernetes/client-node); `object` has
 * its type.
 *
 * @example
 * const r = injectObject(deployment, { origin: "cli", mode: "full", values, createdBy: "my-tool 1.0" });
 * if (r.ok && r.reports[0]?.outcome === "injected") {
 *   r.object; // the Deployment with linkerd-init and linkerd-proxy in its pod template
 * }
 */
export function injectObject<T extends KubeObjectLike | JsonValue>(input: T, options: InjectOptions): TransformResult<T> {
  return transformEach(input, (object, root) => injectOne(object, options, root));
}

function injectOne(input: JsonValue, options: InjectOptions, root: readonly (string | number)[]): One {
  const workload = readWorkload(input);
  const namespaceAnnotations = options.namespaceAnnotations ?? {};
  const report = decide(workload, { origin: options.origin, values: options.values, namespaceAnnotations });
  return options.origin === "webhook"
    ? injectForWebhook(workload, report, options, root)
    : injectForCli(workload, report, options, root);
}

function injectForCli(workload: Workload, report: ResourceReport, options: InjectOptions, root: readonly (string | number)[]): One {
  const overrides = { ...(options.overrideAnnotations ?? {}) };
  const hasTemplate = workload.templatePath !== undefined;
  if (hasTemplate && CONTROL_PLANE_COMPONENT_LABEL in stringMap(workload.podMeta["labels"]) && options.mode !== "full") {
    return refuse(report, "--manual must be set when injecting control plane components");
  }
  if (workload.kind === "service") {
    const opaque = overrides[A.opaquePorts];
    if (opaque === undefined) return { ok: true, patch: [], report };
    report.outcome = "annotated";
    return { ok: true, patch: annotationOps(root, isObject(workload.raw["metadata"]), workload.metadata, { [A.opaquePorts]: opaque }), report };
  }
  if (workload.kind === "namespace") {
    report.outcome = "annotated";
    const annotations = { [INJECT_ANNOTATION]: "enabled", ...overrides };
    return { ok: true, patch: annotationOps(root, isObject(workload.raw["metadata"]), workload.metadata, annotations), report };
  }
  if (!hasTemplate) return { ok: true, patch: [], report };
  if (!report.injectable) {
    const errors: ReasonCode[] = [];
    if (!report.automountServiceAccountToken) errors.push("disabled_automount_service_account_token_account");
    if (report.hostNetwork) errors.push("host_network_enabled");
    if (report.sidecar) errors.push("sidecar_already_exists");
    if (report.udp) errors.push("udp_ports_enabled");
    if (errors.length > 0) return refuse(report, `failed to inject ${report.resName}: ${reasonSentences(errors)}`);
    // Linkerd reports such a workload as "annotated" although it leaves it unchanged; we say what happened.
    return { ok: true, patch: [], report };
  }
  const template = [...root, ...(workload.templatePath as readonly string[])];
  if (options.mode === "annotations") {
    const annotations: Record<string, string> = { ...overrides };
    if (!readBoolean(options.values, "proxy.isIngress")) annotations[INJECT_ANNOTATION] = "enabled";
    report.outcome = "injected";
    return { ok: true, patch: metadataOps(template, workload, annotations, undefined), report };
  }
  // Only the workload's own annotations are parsed: flag values already sit in the values, and re-parsing them
  // would resolve or drop what the user passed verbatim (spec §2.2). Some flags exist only as annotations.
  const parsed = stringMap(workload.podMeta["annotations"]);
  for (const key of FLAG_ANNOTATIONS) {
    if (overrides[key] !== undefined && parsed[key] === undefined) parsed[key] = overrides[key] as string;
  }
  const envLayers = [stringMap(workload.metadata["annotations"])[A.additionalEnv], parsed[A.additionalEnv]].filter(
    (x): x is string => x !== undefined,
  );
  const owner = OWNER_LABEL_KINDS.has(workload.kind) || workload.kind === "cronjob" ? { kind: workload.kind, name: workload.name } : undefined;
  const added: Record<string, string> = { ...overrides };
  if (options.createdBy !== undefined) added[CREATED_BY_ANNOTATION] = options.createdBy;
  return fullInjection(workload, report, options, template, {
    parsed,
    envLayers,
    added,
    owner,
    workloadNamespace: workload.namespace,
  });
}

function injectForWebhook(
  workload: Workload,
  report: ResourceReport,
  options: InjectOptions,
  root: readonly (string | number)[],
): One {
  const namespaceAnnotations = options.namespaceAnnotations ?? {};
  if (workload.kind === "pod" && report.injectable) {
    const own = stringMap(workload.podMeta["annotations"]);
    const added: Record<string, string> = {};
    if (options.createdBy !== undefined) added[CREATED_BY_ANNOTATION] = options.createdBy;
    // The pod inherits the namespace's proxy configuration it does not set itself (spec §1.7).
    for (const key of NAMESPACE_INHERITED) {
      const value = namespaceAnnotations[key];
      if (value !== undefined && own[key] === undefined) added[key] = value;
    }
    const parsed = { ...own, ...added };
    if (parsed[A.opaquePorts] === undefined) {
      const ports = filterDefaultOpaquePorts(options, exposedPorts(workload.podSpec));
      if (ports !== "") {
        added[A.opaquePorts] = ports;
        parsed[A.opaquePorts] = ports;
      }
    }
    const envLayers = [namespaceAnnotations[A.additionalEnv], own[A.additionalEnv]].filter((x): x is string => x !== undefined);
    const ownerKind = options.owner?.kind.toLowerCase() ?? "";
    const owner = OWNER_LABEL_KINDS.has(ownerKind) ? { kind: ownerKind, name: options.owner?.name ?? "" } : undefined;
    return fullInjection(workload, report, options, root, {
      parsed,
      envLayers,
      added,
      owner,
      workloadNamespace: options.requestNamespace ?? workload.namespace,
    });
  }
  const patch = opaquePortsOps(workload, options, root);
  if (patch.length > 0) report.outcome = "annotated";
  return { ok: true, patch, report };
}

interface FullInjection {
  /** Annotations parsed as overrides. */
  parsed: Record<string, string>;
  /** `proxy-additional-env` layers above the values, lowest precedence first. */
  envLayers: string[];
  /** Annotations the patch adds besides proxy-version and trust-root-sha256. */
  added: Record<string, string>;
  owner: { kind: string; name: string } | undefined;
  workloadNamespace: string;
}

/** The full patch of spec §6.5, in Linkerd's op order. */
function fullInjection(
  workload: Workload,
  report: ResourceReport,
  options: InjectOptions,
  template: readonly (string | number)[],
  f: FullInjection,
): One {
  const config = applyOverrides(options.values, f.parsed, workload.podSpec, f.envLayers);
  report.warnings.push(...config.warnings);
  const rendered = renderProxySpec({
    values: config.values,
    podSpec: workload.podSpec,
    debugSidecar: config.debugSidecar,
    linkerdNamespace: options.linkerdNamespace ?? "linkerd",
    podLabels: stringMap(workload.podMeta["labels"]),
    podAnnotations: f.parsed,
  });
  if (!rendered.ok) return { ok: false, issues: rendered.issues, report };
  const spec = rendered.spec;
  const annotations: Record<string, string> = {
    ...f.added,
    [PROXY_VERSION_ANNOTATION]: spec.proxyVersion,
    // Linkerd hashes the PEM exactly as configured, before trimming (spec §2.1).
    [TRUST_ROOT_SHA_ANNOTATION]: sha256Hex(readString(config.values, "identityTrustAnchorsPEM")),
  };
  const labels: Record<string, string> = { [CONTROL_PLANE_NS_LABEL]: options.linkerdNamespace ?? "linkerd" };
  if (f.owner) labels[`linkerd.io/proxy-${f.owner.kind}`] = f.owner.name;
  labels[WORKLOAD_NS_LABEL] = f.workloadNamespace;

  const ops = metadataOps(template, workload, annotations, labels);
  const at = (...s: (string | number)[]) => pointer(...template, ...s);
  const podSpec = workload.podSpec;
  if (!nonEmptyList(podSpec["volumes"])) ops.push({ op: "add", path: at("spec", "volumes"), value: [] });
  if (!nonEmptyList(podSpec["initContainers"])) ops.push({ op: "add", path: at("spec", "initContainers"), value: [] });
  if (spec.xtablesVolume) ops.push({ op: "add", path: at("spec", "volumes", "-"), value: spec.xtablesVolume });
  ops.push({ op: "add", path: at("spec", "initContainers", spec.nativeSidecar ? 0 : "-"), value: spec.init });
  if (spec.debug) ops.push({ op: "add", path: at("spec", "containers", "-"), value: spec.debug });
  ops.push({ op: "add", path: at("spec", "volumes", "-"), value: spec.endEntityVolume });
  if (spec.podinfoVolume) ops.push({ op: "add", path: at("spec", "volumes", "-"), value: spec.podinfoVolume });
  if (spec.tokenVolume) ops.push({ op: "add", path: at("spec", "volumes", "-"), value: spec.tokenVolume });
  const proxyPath = spec.nativeSidecar
    ? at("spec", "initContainers", 1)
    : spec.await
      ? at("spec", "containers", 0)
      : at("spec", "containers", "-");
  ops.push({ op: "add", path: proxyPath, value: spec.proxy });
  report.outcome = "injected";
  report.layout = spec.nativeSidecar ? "native" : "classic";
  return { ok: true, patch: ops, report };
}

function nonEmptyList(value: JsonValue | undefined): boolean {
  return Array.isArray(value) && value.length > 0;
}

/** Ops 1-5 of spec §6.5: create metadata maps where missing, then add each key in ascending order. */
function metadataOps(
  template: readonly (string | number)[],
  workload: Workload,
  annotations: Readonly<Record<string, string>>,
  labels: Readonly<Record<string, string>> | undefined,
): PatchOperation[] {
  const ops: PatchOperation[] = [];
  if (!workload.hasPodMeta) ops.push({ op: "add", path: pointer(...template, "metadata"), value: {} });
  ops.push(...mapOps([...template, "metadata", "annotations"], workload.podMeta["annotations"], annotations));
  if (labels) ops.push(...mapOps([...template, "metadata", "labels"], workload.podMeta["labels"], labels));
  return ops;
}

function mapOps(at: readonly (string | number)[], existing: JsonValue | undefined, entries: Readonly<Record<string, string>>): PatchOperation[] {
  const keys = sortedKeys(entries);
  if (keys.length === 0) return [];
  const ops: PatchOperation[] = [];
  if (!isObject(existing) || Object.keys(existing).length === 0) ops.push({ op: "add", path: pointer(...at), value: {} });
  for (const key of keys) ops.push({ op: "add", path: pointer(...at, key), value: entries[key] as string });
  return ops;
}

function annotationOps(
  root: readonly (string | number)[],
  hasMetadata: boolean,
  metadata: JsonObject,
  annotations: Readonly<Record<string, string>>): PatchOperation[] {
  const ops: PatchOperation[] = [];
  if (!hasMetadata) ops.push({ op: "add", path: pointer(...root, "metadata"), value: {} });
  ops.push(...mapOps([...root, "metadata", "annotations"], metadata["annotations"], annotations));
  return ops;
}

function refuse(report: ResourceReport, message: string): One {
  return { ok: false, issues: [{ code: "inject_refused", path: [], message }], report };
}

/** Container ports of init containers, then containers, in spec order (spec §3.6). */
function exposedPorts(podSpec: JsonObject): number[] {
  const ports: number[] = [];
  for (const c of [...objects(podSpec["initContainers"]), ...objects(podSpec["containers"])]) {
    for (const p of objects(c["ports"])) if (typeof p["containerPort"] === "number") ports.push(p["containerPort"]);
  }
  return ports;
}

/** The default opaque ports that are among `ports`, duplicates kept, joined with `,`. */
function filterDefaultOpaquePorts(options: InjectOptions, ports: readonly number[]): string {
  const ranges = readString(options.values, "proxy.opaquePorts")
    .split(",")
    .map((t) => parsePortRange(t.trim()))
    .filter((r): r is { lower: number; upper: number } => r !== undefined);
  return ports.filter((p) => ranges.some((r) => p >= r.lower && p <= r.upper)).join(",");
}

/** The webhook's opaque-ports annotation patch for Pods it does not inject and for Services (spec §6.4). */
function opaquePortsOps(workload: Workload, options: InjectOptions, root: readonly (string | number)[]): PatchOperation[] {
  if (workload.kind !== "pod" && workload.kind !== "service") return [];
  const meta = workload.kind === "pod" ? workload.podMeta : workload.metadata;
  if (stringMap(meta["annotations"])[A.opaquePorts] !== undefined) return [];
  let value = options.namespaceAnnotations?.[A.opaquePorts];
  if (value === undefined) {
    value =
      workload.kind === "pod"
        ? filterDefaultOpaquePorts(options, exposedPorts(workload.podSpec))
        : serviceOpaquePorts(workload, options);
  }
  if (value === "") return [];
  return annotationOps(root, isObject(workload.raw["metadata"]), workload.metadata, { [A.opaquePorts]: value });
}

/**
 * Service ports whose target (or the port itself, when there is no target) is a default opaque port; the service
 * port is what is listed (9090 → 3306 gives 9090). Named targets never match (spec §6.4).
 */
function serviceOpaquePorts(workload: Workload, options: InjectOptions): string {
  const spec = workload.raw["spec"];
  const out: number[] = [];
  for (const p of objects(isObject(spec) ? spec["ports"] : undefined)) {
    const port = p["port"];
    const target = p["targetPort"];
    if (typeof port !== "number") continue;
    const effective = target === undefined || target === null || target === 0 ? port : target;
    if (typeof effective === "number" && filterDefaultOpaquePorts(options, [effective]) !== "") out.push(port);
  }
  return out.join(",");
}
