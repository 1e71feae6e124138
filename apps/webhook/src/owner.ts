import {
  describeLookupFailure,
  type InvolvedObject,
  type KubeLookups,
  type LookupFailure,
  type LookupOptions,
  type ObjectMeta,
  type OwnerReference,
} from "./kube.js";

export interface ResolvedOwner {
  /** Lower-cased kind (`deployment`, `cronjob`, `pod` for bare pods, `mycrd` for a CRD owner). */
  kind: string;
  name: string;
  /** The owner object, as the target of events; absent for bare pods (the pod does not exist yet). */
  parent?: InvolvedObject;
  /**
   * The ReplicaSet or Job could not be read (an error, or no answer in time): the owner is unknown, so the pod gets
   * no owner label; `kind`/`name`/`parent` are then the direct parent's, for the event.
   */
  lookupError?: { reason: LookupFailure; message: string; ownerKind: string };
}

// A ReplicaSet's owner is only taken when it is one of these (Linkerd's isValidRSParent).
const VALID_RS_PARENTS = new Set(["job", "statefulset", "daemonset", "deployment"]);

/**
 * Linkerd's `GetOwnerKindAndName` (spec §6.3 step 3): one owner reference, looked through a ReplicaSet or a Job to
 * its own single owner. A ReplicaSet or Job that does not exist leaves the direct parent as the owner, as in
 * Linkerd; one that cannot be read is reported in `lookupError` (never thrown: an owner never fails a review).
 */
export async function resolveOwner(
  podMeta: { name: string; ownerReferences: readonly OwnerReference[] },
  namespace: string,
  lookups: KubeLookups | undefined,
  options: LookupOptions = {},
): Promise<ResolvedOwner> {
  const direct = directOwner(podMeta, namespace);
  const parent = podMeta.ownerReferences.length === 1 ? (podMeta.ownerReferences[0] as OwnerReference) : undefined;
  if (parent === undefined || lookups === undefined || (parent.kind !== "Job" && parent.kind !== "ReplicaSet"))
    return direct;

  let meta: ObjectMeta | null;
  try {
    meta =
      parent.kind === "Job"
        ? await lookups.job(namespace, parent.name, options)
        : await lookups.replicaSet(namespace, parent.name, options);
  } catch (error) {
    return { ...direct, lookupError: { ...describeLookupFailure(error), ownerKind: parent.kind.toLowerCase() } };
  }
  const grandparents = meta?.ownerReferences ?? [];
  if (grandparents.length !== 1) return direct;
  const grandparent = grandparents[0] as OwnerReference;
  if (parent.kind === "ReplicaSet" && !VALID_RS_PARENTS.has(grandparent.kind.toLowerCase())) return direct;
  return {
    kind: grandparent.kind.toLowerCase(),
    name: grandparent.name,
    parent: toInvolved(grandparent, namespace),
  };
}

/** The owner without look-ups: the single owner reference as it is, or the pod itself. */
export function directOwner(
  podMeta: { name: string; ownerReferences: readonly OwnerReference[] },
  namespace: string,
): ResolvedOwner {
  const refs = podMeta.ownerReferences;
  if (refs.length !== 1) return { kind: "pod", name: podMeta.name };
  const parent = refs[0] as OwnerReference;
  return { kind: parent.kind.toLowerCase(), name: parent.name, parent: toInvolved(parent, namespace) };
}

function toInvolved(ref: OwnerReference, namespace: string): InvolvedObject {
  return { apiVersion: ref.apiVersion, kind: ref.kind, name: ref.name, namespace, uid: ref.uid };
}

/** Owner references as found in untrusted JSON; malformed entries are dropped rather than trusted. */
export function readOwnerReferences(value: unknown): OwnerReference[] {
  if (!Array.isArray(value)) return [];
  const refs: OwnerReference[] = [];
  for (const item of value) {
    if (typeof item !== "object" || item === null) continue;
    const { apiVersion, kind, name, uid } = item as Record<string, unknown>;
    if (typeof kind !== "string" || typeof name !== "string" || kind === "" || name === "") continue;
    refs.push({
      apiVersion: typeof apiVersion === "string" ? apiVersion : "",
      kind,
      name,
      uid: typeof uid === "string" ? uid : "",
    });
  }
  return refs;
}
