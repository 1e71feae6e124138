import { CONTROL_PLANE_COMPONENT_LABEL, CREATED_BY_ANNOTATION, INJECT_ANNOTATION } from "./annotations.js";
import { canonicalRemovals } from "./canonical.js";
import { decide, type Decision } from "./decision.js";
import { annotationOps, fullInjection, metadataOps, OWNER_LABEL_KINDS } from "./inject.js";
import { clone, stringMap } from "./json.js";
import { applyPatchInPlace } from "./patch.js";
import { reasonSentences } from "./report.js";
import { A, FLAG_ANNOTATIONS } from "./settings.js";
import { transformEach, type Effect } from "./transform.js";
import type { JsonValue, KubeObjectLike, ManifestOptions, ReasonCode, TransformResult } from "./types.js";
import { uninject, uninjectPatch } from "./uninject.js";
import { readWorkload, type Workload } from "./workload.js";

type Path = readonly (string | number)[];

/**
 * Injects the Linkerd proxy into the workloads of a manifest, as `linkerd inject` does: `mode: "full"` renders the
 * proxy into the pod templates (`--manual`), `mode: "annotations"` only annotates them for the webhook. Handles every
 * workload kind, Pods, Services, Namespaces and `List`s. Returns the new object (of the input's type), the RFC 6902
 * patch from the input to it, and one report per object; expected outcomes (skips, refusals) are data, and the input
 * is never changed. An already injected workload is refused, as Linkerd's checks say: {@link reinjectManifest} takes
 * the old proxy out first, as the CLI does.
 *
 * @example
 * const r = injectManifest(deployment, { configuration, mode: "full", createdBy: "my-tool 1.0" });
 * if (r.ok && r.reports[0]?.outcome === "injected") {
 *   r.object; // the Deployment with linkerd-init and linkerd-proxy in its pod template
 * }
 */
export function injectManifest<T extends KubeObjectLike | JsonValue>(
  object: T,
  options: ManifestOptions,
): TransformResult<T> {
  return transformEach(object, (item, root) => {
    const workload = readWorkload(item);
    const decision = decide(workload, {
      origin: "cli",
      tokenProjection: options.configuration.prepared.tokenProjection,
      namespaceAnnotations: {},
    });
    return { workload, decision, effect: injectOne(workload, decision, options, root) };
  });
}

/**
 * What `injector inject` prints (spec §5.3): the proxy an object already has is taken out, the object is injected
 * again (so that injecting twice is injecting once, not a refusal), and the zero values Kubernetes' serialisation
 * leaves out are removed from the result (`canonicalRemovals`). An object nothing changes keeps its zero values:
 * `patch` is empty.
 *
 * @example
 * const r = reinjectManifest(alreadyInjected, { configuration, mode: "full" });
 * if (r.ok) r.object; // as if the Deployment had been injected once, with these values
 */
export function reinjectManifest<T extends KubeObjectLike | JsonValue>(
  object: T,
  options: ManifestOptions,
): TransformResult<T> {
  // Only the injection is reported: the removal needs no decision or report of its own.
  const removal = uninjectPatch(object);
  // Most inputs carry no proxy to take out: then the injection reads the input itself, which it never changes.
  const uninjected = removal.length === 0 ? undefined : (applyPatchInPlace(clone(object as JsonValue), removal) as T);
  const injected = injectManifest(uninjected ?? object, options);
  if (!injected.ok || (uninjected === undefined && injected.patch.length === 0)) return injected;
  // The uninjected copy is the core's own: the injection goes into it rather than into one more copy. Otherwise the
  // input is copied whole first: `applyPatch` would copy what the patch adds (the proxy, most of the result) twice.
  const result = applyPatchInPlace((uninjected ?? clone(object as JsonValue)) as JsonValue, injected.patch);
  const removals = canonicalRemovals(result);
  return {
    ok: true,
    object: applyPatchInPlace(result, removals) as T,
    patch: [...removal, ...injected.patch, ...removals],
    reports: injected.reports,
  };
}

/**
 * What `injector uninject` prints (spec §5.7): the proxy and Linkerd's metadata taken out of every workload, and the
 * zero values Kubernetes' serialisation leaves out removed from what changed. Unlike Linkerd, it also removes
 * `linkerd-debug`, `linkerd-network-validator` and `linkerd-podinfo`, so that injection is undone whole.
 *
 * @example
 * const r = uninjectManifest(injectedDeployment);
 * if (r.ok) r.reports[0]?.outcome; // "uninjected"
 */
export function uninjectManifest<T extends KubeObjectLike | JsonValue>(object: T): TransformResult<T> {
  const removed = uninject(object);
  if (!removed.ok || removed.patch.length === 0) return removed;
  const result = removed.object as JsonValue;
  const removals = canonicalRemovals(result);
  return {
    ok: true,
    object: applyPatchInPlace(result, removals) as T,
    patch: [...removed.patch, ...removals],
    reports: removed.reports,
  };
}

function injectOne(workload: Workload, decision: Decision, options: ManifestOptions, root: Path): Effect {
  const overrides = options.overrideAnnotations ?? {};
  const hasTemplate = workload.templatePath !== undefined;
  if (
    hasTemplate &&
    CONTROL_PLANE_COMPONENT_LABEL in stringMap(workload.podMeta["labels"]) &&
    options.mode !== "full"
  ) {
    return refuse("--manual must be set when injecting control plane components");
  }
  if (workload.kind === "service") {
    const opaque = overrides[A.opaquePorts];
    if (opaque === undefined) return { ok: true, patch: [], outcome: "skipped" };
    return { ok: true, patch: annotationOps(root, workload, { [A.opaquePorts]: opaque }), outcome: "annotated" };
  }
  if (workload.kind === "namespace") {
    const annotations = { [INJECT_ANNOTATION]: "enabled", ...overrides };
    return { ok: true, patch: annotationOps(root, workload, annotations), outcome: "annotated" };
  }
  if (!hasTemplate) return { ok: true, patch: [], outcome: "skipped" };
  if (!decision.injectable) return refusal(workload, decision);
  const template = [...root, ...(workload.templatePath as readonly string[])];
  if (options.mode === "annotations") {
    const annotations: Record<string, string> = { ...overrides };
    if (!options.configuration.prepared.ingress) annotations[INJECT_ANNOTATION] = "enabled";
    return { ok: true, patch: metadataOps(template, workload, annotations, undefined), outcome: "injected" };
  }
  return injectFull(workload, options, template);
}

function injectFull(workload: Workload, options: Extract<ManifestOptions, { mode: "full" }>, template: Path): Effect {
  const overrides = options.overrideAnnotations ?? {};
  // Only the workload's own annotations are parsed: flag values already sit in the values, and re-parsing them
  // would resolve or drop what the user passed verbatim (spec §2.2). Some flags exist only as annotations.
  const parsed = stringMap(workload.podMeta["annotations"]);
  for (const key of FLAG_ANNOTATIONS) {
    if (overrides[key] !== undefined && parsed[key] === undefined) parsed[key] = overrides[key] as string;
  }
  const envLayers = [stringMap(workload.metadata["annotations"])[A.additionalEnv], parsed[A.additionalEnv]].filter(
    (x): x is string => x !== undefined,
  );
  const owns = OWNER_LABEL_KINDS.has(workload.kind) || workload.kind === "cronjob";
  const added: Record<string, string> = { ...overrides };
  if (options.createdBy !== undefined) added[CREATED_BY_ANNOTATION] = options.createdBy;
  return fullInjection(workload, options.configuration, template, {
    parsed,
    envLayers,
    added,
    owner: owns ? { kind: workload.kind, name: workload.name } : undefined,
    workloadNamespace: workload.namespace,
  });
}

/** Linkerd's CLI fails on a workload it cannot inject for a reason the user can fix, and skips the others. */
function refusal(workload: Workload, decision: Decision): Effect {
  const errors: ReasonCode[] = [];
  if (!decision.automountServiceAccountToken) errors.push("disabled_automount_service_account_token_account");
  if (decision.hostNetwork) errors.push("host_network_enabled");
  if (decision.sidecar) errors.push("sidecar_already_exists");
  if (decision.udp) errors.push("udp_ports_enabled");
  if (errors.length > 0)
    return refuse(`failed to inject ${workload.kind}/${workload.name}: ${reasonSentences(errors)}`);
  // Linkerd reports such a workload as "annotated" although it leaves it unchanged; we say what happened.
  return { ok: true, patch: [], outcome: "skipped" };
}

function refuse(message: string): Effect {
  return { ok: false, issues: [{ code: "inject_refused", path: [], message }] };
}
