import { CREATED_BY_ANNOTATION } from "./annotations.js";
import { decide } from "./decision.js";
import {
  annotationOps,
  defaultOpaquePorts,
  exposedPorts,
  fullInjection,
  OWNER_LABEL_KINDS,
  withEntries,
} from "./inject.js";
import { isObject, stringMap } from "./json.js";
import { A, NAMESPACE_INHERITED } from "./settings.js";
import { transformEach, type Effect, type Transformed } from "./transform.js";
import type { AdmissionOptions, JsonValue, KubeObjectLike, PatchOperation, TransformResult } from "./types.js";
import { objects, readWorkload, type Workload } from "./workload.js";

type Path = readonly (string | number)[];

/**
 * Injects the Linkerd proxy into a Pod under admission, as Linkerd's proxy-injector webhook does (spec §6): the
 * Namespace's and the Pod's `linkerd.io/inject` decide, the Pod inherits the Namespace's proxy settings, its owner
 * names the `linkerd.io/proxy-<kind>` label. A Pod or Service it does not inject gets its opaque ports annotated
 * (spec §6.4). Returns the RFC 6902 patch for the admission response and the report; expected outcomes (skips,
 * `render_failed`) are data, and the input is never changed. Always the whole proxy: annotating for a webhook is
 * the CLI's job ({@link injectManifest}).
 *
 * @example
 * const r = injectAdmission(pod, {
 *   configuration,                          // from prepareConfiguration, once per configuration
 *   namespace: "shop",                      // the admission request's namespace
 *   namespaceAnnotations: { "linkerd.io/inject": "enabled" },
 *   owner: { kind: "deployment", name: "web" },
 *   createdBy: "my-webhook 1.0",
 * });
 * if (r.ok && r.reports[0]?.injectable) r.patch; // JSON Patch, in Linkerd's op order
 */
export function injectAdmission<T extends KubeObjectLike | JsonValue>(
  object: T,
  options: AdmissionOptions,
): TransformResult<T> {
  return transformEach(object, (item, root) => admitOne(item, root, options));
}

function admitOne(input: JsonValue, root: Path, options: AdmissionOptions): Transformed {
  const workload = readWorkload(input);
  const decision = decide(workload, {
    origin: "webhook",
    tokenProjection: options.configuration.prepared.tokenProjection,
    namespaceAnnotations: options.namespaceAnnotations ?? {},
  });
  const effect: Effect =
    workload.kind === "pod" && decision.injectable
      ? injectPod(workload, options, root)
      : annotateOpaquePorts(workload, options, root);
  return { workload, decision, effect };
}

function injectPod(workload: Workload, options: AdmissionOptions, root: Path): Effect {
  const namespaceAnnotations = options.namespaceAnnotations ?? {};
  const own = stringMap(workload.podMeta["annotations"]);
  const added: Record<string, string> = {};
  if (options.createdBy !== undefined) added[CREATED_BY_ANNOTATION] = options.createdBy;
  // The pod inherits the namespace's proxy configuration it does not set itself (spec §1.7).
  for (const key of NAMESPACE_INHERITED) {
    const value = namespaceAnnotations[key];
    if (value !== undefined && own[key] === undefined) added[key] = value;
  }
  if (own[A.opaquePorts] === undefined && added[A.opaquePorts] === undefined) {
    const ports = defaultOpaquePorts(options.configuration, exposedPorts(workload.podSpec));
    if (ports !== "") added[A.opaquePorts] = ports;
  }
  const envLayers = [namespaceAnnotations[A.additionalEnv], own[A.additionalEnv]].filter(
    (x): x is string => x !== undefined,
  );
  const ownerKind = options.owner?.kind.toLowerCase() ?? "";
  const owner = OWNER_LABEL_KINDS.has(ownerKind) ? { kind: ownerKind, name: options.owner?.name ?? "" } : undefined;
  return fullInjection(workload, options.configuration, root, {
    parsed: withEntries(withEntries({}, own), added),
    envLayers,
    added,
    owner,
    workloadNamespace: options.namespace ?? workload.namespace,
  });
}

/** The webhook's opaque-ports annotation for Pods it does not inject and for Services (spec §6.4). */
function annotateOpaquePorts(workload: Workload, options: AdmissionOptions, root: Path): Effect {
  const patch = opaquePortsOps(workload, options, root);
  return { ok: true, patch, outcome: patch.length > 0 ? "annotated" : "skipped" };
}

function opaquePortsOps(workload: Workload, options: AdmissionOptions, root: Path): PatchOperation[] {
  if (workload.kind !== "pod" && workload.kind !== "service") return [];
  const meta = workload.kind === "pod" ? workload.podMeta : workload.metadata;
  if (stringMap(meta["annotations"])[A.opaquePorts] !== undefined) return [];
  let value = options.namespaceAnnotations?.[A.opaquePorts];
  if (value === undefined) {
    value =
      workload.kind === "pod"
        ? defaultOpaquePorts(options.configuration, exposedPorts(workload.podSpec))
        : serviceOpaquePorts(workload, options);
  }
  if (value === "") return [];
  return annotationOps(root, workload, { [A.opaquePorts]: value });
}

/**
 * Service ports whose target (or the port itself, when there is no target) is a default opaque port; the service
 * port is what is listed (9090 → 3306 gives 9090). Named targets never match (spec §6.4).
 */
function serviceOpaquePorts(workload: Workload, options: AdmissionOptions): string {
  const spec = workload.raw["spec"];
  const out: number[] = [];
  for (const p of objects(isObject(spec) ? spec["ports"] : undefined)) {
    const port = p["port"];
    const target = p["targetPort"];
    if (typeof port !== "number") continue;
    const effective = target === undefined || target === null || target === 0 ? port : target;
    if (typeof effective === "number" && defaultOpaquePorts(options.configuration, [effective]) !== "") out.push(port);
  }
  return out.join(",");
}
