import { isObject } from "../json.js";
import type { JsonValue, KubeObjectLike } from "../types.js";

/** One owner reference, as read from an object's `metadata.ownerReferences`. */
export interface OwnerRef {
  kind: string;
  name: string;
}

/** The workload an audit reports a pod under. `kind` is as Kubernetes writes it: `Deployment`, `Pod`, `MyCrd`. */
export interface WorkloadRef {
  kind: string;
  namespace: string;
  name: string;
}

// A ReplicaSet's owner is only taken when it is one of these (Linkerd's isValidRSParent, spec §6.3).
const VALID_RS_PARENTS = new Set(["job", "statefulset", "daemonset", "deployment"]);

/**
 * The owner an object's owner references name, as Linkerd reads them (spec §6.3): the single reference, or none
 * when there are zero or several.
 *
 * @example
 * singleOwner(pod); // { kind: "ReplicaSet", name: "web-7d9c" }
 */
export function singleOwner(object: KubeObjectLike | JsonValue): OwnerRef | undefined {
  const meta = isObject(object) ? object["metadata"] : undefined;
  const refs = isObject(meta) ? meta["ownerReferences"] : undefined;
  if (!Array.isArray(refs) || refs.length !== 1) return undefined;
  const ref = refs[0];
  if (!isObject(ref) || typeof ref["kind"] !== "string" || typeof ref["name"] !== "string") return undefined;
  return ref["kind"] === "" || ref["name"] === "" ? undefined : { kind: ref["kind"], name: ref["name"] };
}

/** Whether the pod's owner has to be read to find its workload: a ReplicaSet (Deployment) or a Job (CronJob). */
export function ownerNeedsLookup(owner: OwnerRef | undefined): owner is OwnerRef {
  return owner !== undefined && (owner.kind === "ReplicaSet" || owner.kind === "Job");
}

/**
 * The workload a pod belongs to, resolved as the webhook resolves a pod's owner (spec §6.3): its single owner,
 * looked through a ReplicaSet to a Deployment (or another valid parent) and through a Job to its CronJob;
 * `grandparent` is the single owner of that ReplicaSet or Job (`undefined` when it has none, or it was not found).
 * A bare pod is its own workload; unknown owners are taken as they are. `admissionOwner` is what the webhook passes
 * to `injectAdmission` as the owner.
 *
 * @example
 * resolveWorkload(pod, { kind: "Deployment", name: "web" });
 * // { workload: { kind: "Deployment", namespace: "shop", name: "web" }, admissionOwner: { kind: "deployment", name: "web" } }
 */
export function resolveWorkload(
  pod: KubeObjectLike | JsonValue,
  grandparent?: OwnerRef | undefined,
): { workload: WorkloadRef; admissionOwner: { kind: string; name: string } } {
  const meta = isObject(pod) && isObject(pod["metadata"]) ? pod["metadata"] : {};
  const namespace = typeof meta["namespace"] === "string" ? meta["namespace"] : "";
  const podName = typeof meta["name"] === "string" ? meta["name"] : "";
  const parent = singleOwner(pod);
  let owner: OwnerRef = parent ?? { kind: "Pod", name: podName };
  if (parent !== undefined && grandparent !== undefined && ownerNeedsLookup(parent)) {
    if (parent.kind === "Job" || VALID_RS_PARENTS.has(grandparent.kind.toLowerCase())) owner = grandparent;
  }
  return {
    workload: { kind: owner.kind, namespace, name: owner.name },
    admissionOwner: { kind: owner.kind.toLowerCase(), name: owner.name },
  };
}
