/** The injection both entry points share: the full patch of spec §6.5, and the metadata ops it starts with. */
import {
  CONTROL_PLANE_NS_LABEL,
  PROXY_VERSION_ANNOTATION,
  TRUST_ROOT_SHA_ANNOTATION,
  WORKLOAD_NS_LABEL,
} from "./annotations.js";
import { applyOverrides, type ProxyConfig } from "./annotation-overrides.js";
import type { Configuration } from "./configuration.js";
import { defineOwn, isObject, sortedKeys, stringMap } from "./json.js";
import { pointer } from "./patch.js";
import { readPodFacts } from "./pod-facts.js";
import {
  completeProxySpec,
  prepareProxyTemplate,
  withOpaquePorts,
  type ProxySpec,
  type ProxyTemplateResult,
} from "./proxy-spec.js";
import { valueText } from "./values.js";
import type { Effect } from "./transform.js";
import type { JsonObject, JsonValue, PatchOperation } from "./types.js";
import { objects, type Workload } from "./workload.js";

type Path = readonly (string | number)[];

/** Kinds whose name becomes the `linkerd.io/proxy-<kind>` label (spec §2.1). The webhook never maps `cronjob`. */
export const OWNER_LABEL_KINDS: ReadonlySet<string> = new Set([
  "deployment",
  "replicationcontroller",
  "replicaset",
  "job",
  "daemonset",
  "statefulset",
]);

export interface FullInjection {
  /** Annotations parsed as overrides. */
  parsed: Readonly<Record<string, string>>;
  /** `proxy-additional-env` layers above the values, lowest precedence first. */
  envLayers: readonly string[];
  /** Annotations the patch adds besides proxy-version and trust-root-sha256. */
  added: Readonly<Record<string, string>>;
  owner: { kind: string; name: string } | undefined;
  workloadNamespace: string;
}

/** The full patch of spec §6.5, in Linkerd's op order. */
export function fullInjection(
  workload: Workload,
  configuration: Configuration,
  template: Path,
  f: FullInjection,
): Effect {
  const overridden = applyOverrides(configuration.values, f.parsed, workload.podSpec, f.envLayers);
  const warnings = overridden.warnings;
  const prepared = proxyTemplate(configuration, overridden);
  if (!prepared.ok) return { ok: false, issues: [...prepared.issues], warnings };
  const pod = readPodFacts(workload.podSpec, {
    podLabels: stringMap(workload.podMeta["labels"]),
    podAnnotations: f.parsed,
    debugSidecar: overridden.debugSidecar,
  });
  const spec = completeProxySpec(prepared.template, pod);
  const annotations = withEntries({}, f.added);
  annotations[PROXY_VERSION_ANNOTATION] = spec.proxyVersion;
  annotations[TRUST_ROOT_SHA_ANNOTATION] = configuration.prepared.trustRootSha256;
  const labels: Record<string, string> = { [CONTROL_PLANE_NS_LABEL]: configuration.linkerdNamespace };
  if (f.owner) labels[`linkerd.io/proxy-${f.owner.kind}`] = f.owner.name;
  labels[WORKLOAD_NS_LABEL] = f.workloadNamespace;
  const patch = [...metadataOps(template, workload, annotations, labels), ...specOps(template, workload.podSpec, spec)];
  return { ok: true, patch, outcome: "injected", layout: spec.nativeSidecar ? "native" : "classic", warnings };
}

/**
 * Only a pod whose annotations change settings has its proxy rendered again; the others take the prepared one. A
 * pod that changes only its opaque ports (the webhook adds them to every pod exposing a default opaque port, spec
 * §6.4) takes the prepared one too, with that one variable changed: rendering costs more than the rest of an
 * injection.
 */
function proxyTemplate(configuration: Configuration, overridden: ProxyConfig): ProxyTemplateResult {
  const base = configuration.prepared.proxy;
  if (!overridden.changed) return base;
  const { changes } = overridden;
  const opaquePorts = "proxy.opaquePorts";
  if (base.ok && changes.size === 1 && changes.has(opaquePorts)) {
    return { ok: true, template: withOpaquePorts(base.template, valueText(changes.get(opaquePorts))) };
  }
  return prepareProxyTemplate(overridden.values, {
    linkerdNamespace: configuration.linkerdNamespace,
    clusterNetworks: configuration.prepared.clusterNetworks,
    proxyParams: configuration.prepared.proxyParams,
  });
}

/** Ops 6 on of spec §6.5: the volumes and containers, at the places the layout puts them. */
function specOps(template: Path, podSpec: JsonObject, spec: ProxySpec): PatchOperation[] {
  const at = (...s: (string | number)[]) => pointer(...template, "spec", ...s);
  const ops: PatchOperation[] = [];
  const add = (path: string, value: JsonValue) => ops.push({ op: "add", path, value });
  if (!nonEmptyList(podSpec["volumes"])) add(at("volumes"), []);
  if (!nonEmptyList(podSpec["initContainers"])) add(at("initContainers"), []);
  if (spec.volumes.xtables) add(at("volumes", "-"), spec.volumes.xtables);
  add(at("initContainers", spec.nativeSidecar ? 0 : "-"), spec.init);
  if (spec.debug) add(at("containers", "-"), spec.debug);
  add(at("volumes", "-"), spec.volumes.endEntity);
  if (spec.volumes.podinfo) add(at("volumes", "-"), spec.volumes.podinfo);
  if (spec.volumes.token) add(at("volumes", "-"), spec.volumes.token);
  const proxyPath = spec.nativeSidecar
    ? at("initContainers", 1)
    : spec.await
      ? at("containers", 0)
      : at("containers", "-");
  add(proxyPath, spec.proxy);
  return ops;
}

function nonEmptyList(value: JsonValue | undefined): boolean {
  return Array.isArray(value) && value.length > 0;
}

/**
 * `target` with `entries`' own entries set on it, in their order. Copies on the path of every injection are made key
 * by key, not with object spread: on Node 20, objects spread from such maps survived young-generation collections
 * (measured with --trace-gc-nvp: hundreds of kB promoted per scavenge in the webhook) where these do not.
 */
export function withEntries(
  target: Record<string, string>,
  entries: Readonly<Record<string, string>>,
): Record<string, string> {
  for (const key of Object.keys(entries)) defineOwn(target, key, entries[key] as string);
  return target;
}

/** Ops 1-5 of spec §6.5: create metadata maps where missing, then add each key in ascending order. */
export function metadataOps(
  template: Path,
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

/** Annotations on the object's own metadata (a Service, a Namespace, a Pod the webhook does not inject). */
export function annotationOps(
  root: Path,
  workload: Workload,
  annotations: Readonly<Record<string, string>>,
): PatchOperation[] {
  const ops: PatchOperation[] = [];
  if (!isObject(workload.raw["metadata"])) ops.push({ op: "add", path: pointer(...root, "metadata"), value: {} });
  ops.push(...mapOps([...root, "metadata", "annotations"], workload.metadata["annotations"], annotations));
  return ops;
}

function mapOps(
  at: Path,
  existing: JsonValue | undefined,
  entries: Readonly<Record<string, string>>,
): PatchOperation[] {
  const keys = sortedKeys(entries);
  if (keys.length === 0) return [];
  const ops: PatchOperation[] = [];
  if (!isObject(existing) || Object.keys(existing).length === 0)
    ops.push({ op: "add", path: pointer(...at), value: {} });
  for (const key of keys) ops.push({ op: "add", path: pointer(...at, key), value: entries[key] as string });
  return ops;
}

/** Container ports of init containers, then containers, in spec order (spec §3.6). */
export function exposedPorts(podSpec: JsonObject): number[] {
  const ports: number[] = [];
  for (const c of [...objects(podSpec["initContainers"]), ...objects(podSpec["containers"])]) {
    for (const p of objects(c["ports"])) if (typeof p["containerPort"] === "number") ports.push(p["containerPort"]);
  }
  return ports;
}

/** The default opaque ports that are among `ports`, duplicates kept, joined with `,`. */
export function defaultOpaquePorts(configuration: Configuration, ports: readonly number[]): string {
  const ranges = configuration.prepared.defaultOpaquePorts;
  return ports.filter((p) => ranges.some((r) => p >= r.lower && p <= r.upper)).join(",");
}
